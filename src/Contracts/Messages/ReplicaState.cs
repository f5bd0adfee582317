namespace Workers.Contracts.Messages;

/// <summary>Where one replica stands.</summary>
public enum ReplicaState
{
    /// <summary>Sent to its host; no result yet.</summary>
    Pending,

    /// <summary>Its container runs.</summary>
    Running,

    /// <summary>It could not run.</summary>
    Failed,

    /// <summary>Asked to stop; no result yet.</summary>
    Stopping,

    /// <summary>Stopped and removed.</summary>
    Stopped,
}
