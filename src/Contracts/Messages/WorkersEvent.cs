namespace Workers.Contracts.Messages;

/// <summary>
/// One entry of the event history: something that happened to a deployment, a replica or a host, with its reason.
/// Kinds are dotted: <c>deployment.accepted|rejected|running|failed|rollingback|rolledback|superseded|deleting|deleted</c>,
/// <c>replica.placed|running|healthy|unhealthy|failed|lost|stopping|stopped|orphaned</c>, <c>host.joined|lost|returned</c>,
/// <c>webhook.accepted|refused</c>.
/// </summary>
/// <param name="Sequence">Increases with every event the store records: read on from the last one seen to follow.</param>
/// <param name="At">When it happened (the writer's clock).</param>
/// <param name="Kind">What happened.</param>
/// <param name="Name">The deployment's name, when it is about one.</param>
/// <param name="Revision">The deployment's revision, when it is about one (0 for a rejected request).</param>
/// <param name="HostId">The host, when it is about one.</param>
/// <param name="Replica">The replica's index, when it is about one.</param>
/// <param name="Message">Why, or what, in words (the probe's answer, the failure, the host); may be empty.</param>
public sealed record WorkersEvent(long Sequence, DateTimeOffset At, string Kind, string? Name, long? Revision, string? HostId, int? Replica, string Message);
