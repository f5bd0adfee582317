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

    /// <summary>
    /// Given up on: its host went silent, no result came before the deadline, or its container exited outside
    /// Workers. A replacement runs under a new index; if its old container turns up again it is stopped.
    /// </summary>
    Lost,
}
