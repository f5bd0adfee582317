namespace Workers.Contracts.Messages;

/// <summary>Why a <see cref="ReplicaLogsReply"/> holds no lines.</summary>
public enum LogsProblem
{
    /// <summary>No such deployment, replica or container.</summary>
    NotFound,

    /// <summary>The request itself was refused: a tail out of range, a cursor that is not one.</summary>
    Invalid,

    /// <summary>The host that runs the replica did not answer in time (down, or cut off from the broker).</summary>
    HostUnavailable,

    /// <summary>The host's agent could not read the logs (the engine refused, or the command was refused).</summary>
    Unreadable,

    /// <summary>This transport does not carry logs.</summary>
    NotServed,
}
