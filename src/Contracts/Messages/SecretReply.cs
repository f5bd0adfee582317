namespace Workers.Contracts.Messages;

/// <summary>The answer to <see cref="SetSecret"/> and <see cref="DeleteSecret"/>.</summary>
/// <param name="MessageId">Unique per message.</param>
/// <param name="CorrelationId">The request's correlation id.</param>
/// <param name="Timestamp">When it was answered.</param>
/// <param name="Name">The secret's name, as asked.</param>
/// <param name="Outcome">What was done.</param>
/// <param name="Error">Why nothing was done, when <paramref name="Outcome"/> is <see cref="SecretOutcome.Refused"/>; never
/// holds the value.</param>
public sealed record SecretReply(Guid MessageId, Guid CorrelationId, DateTimeOffset Timestamp, string Name, SecretOutcome Outcome, string? Error = null);
