using System.Collections.Concurrent;
using System.Security.Cryptography;
using Workers.Contracts.Messages;

namespace Workers.Security;

/// <summary>A public ECDSA P-256 key (SubjectPublicKeyInfo) that checks signatures.</summary>
public sealed class PublicSigningKey : IEquatable<PublicSigningKey>
{
    private readonly byte[] _spki;
    private readonly ConcurrentBag<ECDsa> _verifiers = [];

    internal PublicSigningKey(byte[] spki)
    {
        _spki = spki;
        Base64 = Convert.ToBase64String(spki);
        KeyId = Convert.ToHexStringLower(SHA256.HashData(spki).AsSpan(0, 8));
    }

    /// <summary>The key as it is configured and carried: SubjectPublicKeyInfo, base64.</summary>
    public string Base64 { get; }

    /// <summary>The first 16 hex digits of the SHA-256 of the key: what signatures and logs name it by.</summary>
    public string KeyId { get; }

    public static bool TryParse(string? text, out PublicSigningKey? key, out string? error)
    {
        key = null;
        error = null;
        byte[] spki;
        try
        {
            spki = Convert.FromBase64String(text?.Trim() ?? string.Empty);
        }
        catch (FormatException)
        {
            error = "is not base64";
            return false;
        }

        using var ecdsa = ECDsa.Create();
        try
        {
            ecdsa.ImportSubjectPublicKeyInfo(spki, out _);
        }
        catch (CryptographicException)
        {
            error = "is not an EC public key (SubjectPublicKeyInfo, base64)";
            return false;
        }

        if (ecdsa.KeySize != 256)
        {
            error = $"is a {ecdsa.KeySize}-bit key, not P-256";
            return false;
        }

        key = new PublicSigningKey(spki);
        return true;
    }

    public static PublicSigningKey Parse(string text) =>
        TryParse(text, out var key, out var error) ? key! : throw new FormatException($"the signing key {error}");

    /// <summary>Null when <paramref name="message"/> carries a valid signature by this key; otherwise why not.</summary>
    public string? Refusal(ISignedMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        if (message.Signature is not { } signature)
        {
            return "it is not signed";
        }

        if (!string.Equals(signature.KeyId, KeyId, StringComparison.Ordinal))
        {
            return $"it is signed with key {signature.KeyId}, not {KeyId}";
        }

        byte[] value;
        try
        {
            value = Convert.FromBase64String(signature.Value);
        }
        catch (FormatException)
        {
            return "its signature is not base64";
        }

        // Importing the key costs about as much as checking a signature with it: the imported keys are kept, one per
        // check under way at once (a key object is not documented to be safe for use by two threads together).
        if (!_verifiers.TryTake(out var ecdsa))
        {
            ecdsa = ECDsa.Create();
            ecdsa.ImportSubjectPublicKeyInfo(_spki, out _);
        }

        try
        {
            return ecdsa.VerifyData(MessageSigning.CanonicalBytes(message), value, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation)
                ? null
                : $"its signature by key {KeyId} does not match its content";
        }
        finally
        {
            _verifiers.Add(ecdsa);
        }
    }

    public bool Equals(PublicSigningKey? other) => other is not null && string.Equals(Base64, other.Base64, StringComparison.Ordinal);

    public override bool Equals(object? obj) => Equals(obj as PublicSigningKey);

    public override int GetHashCode() => StringComparer.Ordinal.GetHashCode(Base64);

    public override string ToString() => Base64;
}
