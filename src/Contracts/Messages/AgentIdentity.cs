namespace Workers.Contracts.Messages;

/// <summary>An agent's public keys, carried by its heartbeats and pinned by the functions for its host id.</summary>
/// <param name="SigningKey">The key its messages are signed with: an ECDSA P-256 public key (SubjectPublicKeyInfo, base64).</param>
/// <param name="SealingKey">The key secrets for its containers are sealed to: an ECDH P-256 public key (SubjectPublicKeyInfo, base64).</param>
public sealed record AgentIdentity(string SigningKey, string SealingKey);
