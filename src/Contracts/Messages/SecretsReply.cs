namespace Workers.Contracts.Messages;

/// <summary>The answer to <see cref="ListSecrets"/>.</summary>
/// <param name="MessageId">Unique per message.</param>
/// <param name="CorrelationId">The request's correlation id.</param>
/// <param name="Timestamp">When the store was read.</param>
/// <param name="Secrets">Every secret, by name.</param>
public sealed record SecretsReply(Guid MessageId, Guid CorrelationId, DateTimeOffset Timestamp, IReadOnlyList<SecretSummary> Secrets);
