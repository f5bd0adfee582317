namespace Workers.Contracts.Messages;

/// <summary>Who signed a message, and the signature over its canonical form (the message with no signature).</summary>
/// <param name="KeyId">The signing key's id: the first 16 hex digits of the SHA-256 of its public key.</param>
/// <param name="Value">The ECDSA P-256 / SHA-256 signature (IEEE P1363, 64 bytes), base64.</param>
public sealed record MessageSignature(string KeyId, string Value);
