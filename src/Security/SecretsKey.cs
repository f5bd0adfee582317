using System.Security.Cryptography;
using System.Text;

namespace Workers.Security;

/// <summary>
/// The key secrets are encrypted with at rest: AES-256-GCM with a fresh 12-byte nonce per value and the secret's name
/// as associated data, so a ciphertext copied to another name does not open. <see cref="KeyId"/> names the key (a
/// digest of it, which says nothing about the key itself) so that the store can tell a wrong key from a damaged value.
/// </summary>
public sealed class SecretsKey : IDisposable
{
    /// <summary>The key's length: 32 bytes, AES-256.</summary>
    public const int Length = 32;

    /// <summary>The nonce's length.</summary>
    public const int NonceLength = 12;

    private const int TagLength = 16;

    // The key's bytes, and an AesGcm made for each call: an AesGcm instance holds one cipher context (OpenSSL's, on
    // Linux) and is not safe to share between threads, and every consumer and the intake use this key at once.
    private readonly byte[] _key;

    private SecretsKey(byte[] key)
    {
        _key = key;
        KeyId = Convert.ToHexStringLower(SHA256.HashData([.. Encoding.ASCII.GetBytes("workers/secrets-key-id/v1\n"), .. key]).AsSpan(0, 8));
    }

    /// <summary>Names the key: 16 hex digits, the same for the same key.</summary>
    public string KeyId { get; }

    /// <summary>A new random key, as base64 (the form of <c>WORKERS_SECRETS_KEY</c> and of the key file).</summary>
    public static string GenerateBase64() => Convert.ToBase64String(RandomNumberGenerator.GetBytes(Length));

    /// <summary>Reads base64 of exactly 32 bytes, or says why not (never echoing the text, which may be a key).</summary>
    public static bool TryParse(string? base64, out SecretsKey? key, out string? error)
    {
        (key, error) = (null, null);
        var bytes = new byte[Length + 1];
        if (string.IsNullOrWhiteSpace(base64) || !Convert.TryFromBase64String(base64.Trim(), bytes, out var written))
        {
            error = "is not base64";
            return false;
        }

        if (written != Length)
        {
            error = $"must be base64 of {Length} bytes (such as the output of 'openssl rand -base64 32'), got {(written > Length ? "more" : written.ToString(System.Globalization.CultureInfo.InvariantCulture))} bytes";
            CryptographicOperations.ZeroMemory(bytes);
            return false;
        }

        key = new SecretsKey(bytes[..Length]);
        CryptographicOperations.ZeroMemory(bytes);
        return true;
    }

    /// <summary>Encrypts the value of secret <paramref name="name"/>: the ciphertext with its tag, and the nonce.</summary>
    public (byte[] Ciphertext, byte[] Nonce) Encrypt(string name, ReadOnlySpan<byte> plaintext)
    {
        var nonce = RandomNumberGenerator.GetBytes(NonceLength);
        var sealedBytes = new byte[plaintext.Length + TagLength];
        using var aes = new AesGcm(_key, TagLength);
        aes.Encrypt(nonce, plaintext, sealedBytes.AsSpan(0, plaintext.Length), sealedBytes.AsSpan(plaintext.Length), Associated(name));
        return (sealedBytes, nonce);
    }

    /// <summary>Decrypts what <see cref="Encrypt"/> made for <paramref name="name"/>; throws <see cref="CryptographicException"/> for another key, name or a changed byte.</summary>
    public byte[] Decrypt(string name, ReadOnlySpan<byte> ciphertext, ReadOnlySpan<byte> nonce)
    {
        if (ciphertext.Length < TagLength || nonce.Length != NonceLength)
        {
            throw new CryptographicException("the stored value is damaged (too short)");
        }

        var plaintext = new byte[ciphertext.Length - TagLength];
        using var aes = new AesGcm(_key, TagLength);
        aes.Decrypt(nonce, ciphertext[..plaintext.Length], ciphertext[plaintext.Length..], plaintext, Associated(name));
        return plaintext;
    }

    public void Dispose() => CryptographicOperations.ZeroMemory(_key);

    private static byte[] Associated(string name) => Encoding.UTF8.GetBytes("workers/secret/v1\n" + name);
}
