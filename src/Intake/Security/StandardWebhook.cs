using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Workers.Intake.Security;

/// <summary>
/// The Standard Webhooks signature scheme: <c>webhook-signature</c> holds space-separated <c>v1,&lt;base64&gt;</c>
/// HMAC-SHA256 signatures of <c>{webhook-id}.{webhook-timestamp}.{body}</c>, keyed with the base64 part of a
/// <c>whsec_</c> secret; any one valid signature is enough (a sender rotating its key signs with both), and the
/// timestamp must be within <see cref="Tolerance"/> of now either way.
/// </summary>
public static class StandardWebhook
{
    /// <summary>How far the timestamp may be from now.</summary>
    public static readonly TimeSpan Tolerance = TimeSpan.FromMinutes(5);

    private const string SecretPrefix = "whsec_";

    /// <summary>
    /// Reads one or more secrets (<c>whsec_</c> + base64; the prefix is optional), separated by spaces or commas.
    /// </summary>
    public static bool TryParseSecrets(string? text, out IReadOnlyList<byte[]> keys, out string? error)
    {
        var parsed = new List<byte[]>();
        (keys, error) = (parsed, null);
        foreach (var item in (text ?? string.Empty).Split([' ', ','], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var base64 = item.StartsWith(SecretPrefix, StringComparison.Ordinal) ? item[SecretPrefix.Length..] : item;
            var buffer = new byte[base64.Length];
            if (!Convert.TryFromBase64String(base64, buffer, out var length) || length == 0)
            {
                error = $"secret {parsed.Count + 1} is not '{SecretPrefix}' followed by base64";
                return false;
            }

            parsed.Add(buffer[..length]);
        }

        return true;
    }

    /// <summary>The <c>v1,&lt;base64&gt;</c> signature of a message.</summary>
    public static string Sign(ReadOnlySpan<byte> key, string id, long timestamp, ReadOnlySpan<byte> body) =>
        "v1," + Convert.ToBase64String(Digest(key, id, timestamp.ToString(CultureInfo.InvariantCulture), body));

    /// <summary>Checks the three headers against the body with every key, comparing digests in constant time.</summary>
    public static SignatureCheck Verify(IReadOnlyList<byte[]> keys, string? id, string? timestamp, string? signatures, ReadOnlySpan<byte> body, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(keys);
        if (keys.Count == 0)
        {
            return SignatureCheck.NotConfigured;
        }

        if (string.IsNullOrEmpty(id) || string.IsNullOrEmpty(timestamp) || string.IsNullOrEmpty(signatures))
        {
            return SignatureCheck.Missing;
        }

        if (!long.TryParse(timestamp, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds) || seconds > DateTimeOffset.MaxValue.ToUnixTimeSeconds())
        {
            return SignatureCheck.Malformed;
        }

        if ((now - DateTimeOffset.FromUnixTimeSeconds(seconds)).Duration() > Tolerance)
        {
            return SignatureCheck.OutsideTolerance;
        }

        var presented = new List<byte[]>();
        foreach (var signature in signatures.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            // Other versions (v1a is asymmetric) are not ours to check; they neither pass nor fail the request.
            if (signature.StartsWith("v1,", StringComparison.Ordinal))
            {
                var buffer = new byte[signature.Length];
                if (Convert.TryFromBase64String(signature[3..], buffer, out var length) && length == HMACSHA256.HashSizeInBytes)
                {
                    presented.Add(buffer[..length]);
                }
            }
        }

        if (presented.Count == 0)
        {
            return SignatureCheck.Malformed;
        }

        var match = false;
        foreach (var key in keys)
        {
            var expected = Digest(key, id, timestamp, body);
            foreach (var candidate in presented)
            {
                match |= CryptographicOperations.FixedTimeEquals(candidate, expected);
            }
        }

        return match ? SignatureCheck.Valid : SignatureCheck.Mismatch;
    }

    private static byte[] Digest(ReadOnlySpan<byte> key, string id, string timestamp, ReadOnlySpan<byte> body)
    {
        var prefix = Encoding.UTF8.GetBytes($"{id}.{timestamp}.");
        var signed = new byte[prefix.Length + body.Length];
        prefix.CopyTo(signed, 0);
        body.CopyTo(signed.AsSpan(prefix.Length));
        return HMACSHA256.HashData(key, signed);
    }
}
