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

    /// <summary>Checks a header value against the body, comparing digests in constant time.</summary>
    public static SignatureCheck Verify(ReadOnlySpan<byte> secret, string? header, ReadOnlySpan<byte> body)
    {
        if (secret.IsEmpty)
        {
            return SignatureCheck.NotConfigured;
        }

        if (string.IsNullOrEmpty(header))
        {
            return SignatureCheck.Missing;
        }

        Span<byte> presented = stackalloc byte[HMACSHA256.HashSizeInBytes];
        if (!header.StartsWith(Prefix, StringComparison.Ordinal)
            || header.Length != Prefix.Length + (2 * HMACSHA256.HashSizeInBytes)
            || Convert.FromHexString(header.AsSpan(Prefix.Length), presented, out _, out _) != OperationStatus.Done)
        {
            return SignatureCheck.Malformed;
        }

        Span<byte> expected = stackalloc byte[HMACSHA256.HashSizeInBytes];
        HMACSHA256.HashData(secret, body, expected);
        return CryptographicOperations.FixedTimeEquals(presented, expected) ? SignatureCheck.Valid : SignatureCheck.Mismatch;
    }
}
