namespace Workers.Contracts.Messages;

/// <summary>The answer to <see cref="GetSealingKey"/>: the functions' sealing public key.</summary>
/// <param name="MessageId">Unique per message.</param>
/// <param name="CorrelationId">The request's correlation id.</param>
/// <param name="Timestamp">When it was answered.</param>
/// <param name="PublicKey">An ECDH P-256 public key (SubjectPublicKeyInfo, base64), the same as the functions'
/// <c>control-sealing.pub</c>.</param>
public sealed record SealingKeyReply(Guid MessageId, Guid CorrelationId, DateTimeOffset Timestamp, string PublicKey);
