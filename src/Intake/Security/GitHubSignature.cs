using System.Buffers;
using System.Security.Cryptography;

namespace Workers.Intake.Security;

/// <summary>
/// GitHub's <c>X-Hub-Signature-256</c>: <c>sha256=</c> and the hex HMAC-SHA256 of the raw body, keyed with the
/// webhook's secret.
/// </summary>
public static class GitHubSignature
{
    private const string Prefix = "sha256=";

    /// <summary>The header value for <paramref name="body"/>.</summary>
    public static string Sign(ReadOnlySpan<byte> secret, ReadOnlySpan<byte> body) =>
        Prefix + Convert.ToHexStringLower(HMACSHA256.HashData(secret, body));

    /// <summary>
    /// Reads the header before any of the body: <see cref="SignatureCheck.Valid"/> with a check to feed the body to
    /// when it is well-formed, else why the request is refused unread.
    /// </summary>
    public static SignatureCheck Start(ReadOnlySpan<byte> secret, string? header, out IBodySignature? signature)
    {
        signature = null;
        if (secret.IsEmpty)
        {
            return SignatureCheck.NotConfigured;
        }

        if (string.IsNullOrEmpty(header))
        {
            return SignatureCheck.Missing;
        }

        var presented = new byte[HMACSHA256.HashSizeInBytes];
        if (!header.StartsWith(Prefix, StringComparison.Ordinal)
            || header.Length != Prefix.Length + (2 * HMACSHA256.HashSizeInBytes)
            || Convert.FromHexString(header.AsSpan(Prefix.Length), presented, out _, out _) != OperationStatus.Done)
        {
            return SignatureCheck.Malformed;
        }

        signature = new Streaming(IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, secret), presented);
        return SignatureCheck.Valid;
    }

    /// <summary>Checks a header value against the whole body, comparing digests in constant time.</summary>
    public static SignatureCheck Verify(ReadOnlySpan<byte> secret, string? header, ReadOnlySpan<byte> body)
    {
        var check = Start(secret, header, out var signature);
        if (signature is null)
        {
            return check;
        }

        using (signature)
        {
            signature.Append(body);
            return signature.Finish();
        }
    }

    private sealed class Streaming(IncrementalHash hash, byte[] presented) : IBodySignature
    {
        public void Append(ReadOnlySpan<byte> chunk) => hash.AppendData(chunk);

        public SignatureCheck Finish()
        {
            Span<byte> expected = stackalloc byte[HMACSHA256.HashSizeInBytes];
            hash.GetHashAndReset(expected);
            return CryptographicOperations.FixedTimeEquals(presented, expected) ? SignatureCheck.Valid : SignatureCheck.Mismatch;
        }

        public void Dispose() => hash.Dispose();
    }
}
