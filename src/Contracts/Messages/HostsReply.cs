namespace Workers.Contracts.Messages;

/// <summary>The answer to <see cref="GetHosts"/>.</summary>
/// <param name="MessageId">Unique per message.</param>
/// <param name="CorrelationId">The request's correlation id.</param>
/// <param name="Timestamp">When the store was read.</param>
/// <param name="Hosts">The hosts, live or not.</param>
public sealed record HostsReply(Guid MessageId, Guid CorrelationId, DateTimeOffset Timestamp, IReadOnlyList<HostStatus> Hosts)
{
    /// <summary>The build of the functions that answered; null from functions that predate the field.</summary>
    public string? FunctionsVersion { get; init; }
}
