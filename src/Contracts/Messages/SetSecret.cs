namespace Workers.Contracts.Messages;

/// <summary>
/// Creates or replaces a secret. The value never travels in clear: it is sealed to the functions' sealing key (see
/// <see cref="GetSealingKey"/>) for the context <c>workers/set-secret/v1\n{name}</c>, so it opens only as this name.
/// Answered by <see cref="SecretReply"/>.
/// </summary>
/// <param name="MessageId">Unique per message.</param>
/// <param name="CorrelationId">A fresh id.</param>
/// <param name="Timestamp">When it was asked.</param>
/// <param name="Name">The secret's name: a DNS label (lowercase letters, digits and '-', at most 63 characters).</param>
/// <param name="SealedValue">The value, sealed (<c>v1.</c> and base64).</param>
/// <param name="RequestedBy">Who asked, for the functions' log.</param>
public sealed record SetSecret(Guid MessageId, Guid CorrelationId, DateTimeOffset Timestamp, string Name, string SealedValue, string RequestedBy);
