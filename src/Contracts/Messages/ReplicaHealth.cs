namespace Workers.Contracts.Messages;

/// <summary>A running replica's health, as its host's agent last judged it.</summary>
public enum ReplicaHealth
{
    /// <summary>Its container runs; its check has not passed (or, without a check, it has not run) for <c>update.minReady</c> yet.</summary>
    Starting,
    /// <summary>Its check kept passing (without a check: its container kept running) for <c>update.minReady</c>.</summary>
    Healthy,
    /// <summary>Its check failed <c>healthCheck.retries</c> times in a row.</summary>
    Unhealthy,

    /// <summary>Its host's heartbeat is overdue, so nobody knows (shown in status; agents never report it).</summary>
    Unknown,
}
