namespace Workers.Contracts.Messages;

/// <summary>Asks for every secret's name and dates (never a value). Answered by <see cref="SecretsReply"/>.</summary>
/// <param name="MessageId">Unique per message.</param>
/// <param name="CorrelationId">A fresh id.</param>
/// <param name="Timestamp">When it was asked.</param>
public sealed record ListSecrets(Guid MessageId, Guid CorrelationId, DateTimeOffset Timestamp);
