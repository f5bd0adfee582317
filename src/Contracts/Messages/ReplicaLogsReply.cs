namespace Workers.Contracts.Messages;

/// <summary>
/// One chunk of a replica's container logs (at most <see cref="MaxLines"/> lines and about <see cref="MaxBytes"/> of
/// text), oldest first, or why there is none.
/// </summary>
/// <param name="MessageId">Unique per message.</param>
/// <param name="CorrelationId">The request's correlation id.</param>
/// <param name="Timestamp">When it was answered.</param>
/// <param name="Name">The deployment's name.</param>
/// <param name="Replica">The replica's index, when one was found.</param>
/// <param name="HostId">The host that runs it, when one was found.</param>
/// <param name="ContainerId">Its container, when one was found.</param>
/// <param name="Lines">The lines, oldest first.</param>
/// <param name="Cursor">Ask again with this as <see cref="GetReplicaLogs.After"/> to read on from the last line; null when no line came and none was asked after.</param>
/// <param name="More">True when the chunk was cut at its bound: more lines are there already.</param>
/// <param name="Running">True while the container runs (a follower keeps asking); false once it has stopped.</param>
/// <param name="Problem">Why there are no lines, or null.</param>
/// <param name="Error">The problem in words, or null.</param>
public sealed record ReplicaLogsReply(
    Guid MessageId,
    Guid CorrelationId,
    DateTimeOffset Timestamp,
    string Name,
    int? Replica,
    string? HostId,
    string? ContainerId,
    IReadOnlyList<LogLine> Lines,
    string? Cursor,
    bool More,
    bool Running,
    LogsProblem? Problem = null,
    string? Error = null)
{
    /// <summary>The most lines one chunk holds.</summary>
    public const int MaxLines = 1000;

    /// <summary>About the most text one chunk holds (64 KiB), well under any broker's message limit.</summary>
    public const int MaxBytes = 64 * 1024;
}
