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

    /// <summary>
    /// Reads the three headers before any of the body: <see cref="SignatureCheck.Valid"/> with a check to feed the body
    /// to when they are present, well-formed and the timestamp is within <see cref="Tolerance"/>; else why the request
    /// is refused unread.
    /// </summary>
    public static SignatureCheck Start(IReadOnlyList<byte[]> keys, string? id, string? timestamp, string? signatures, DateTimeOffset now, out IBodySignature? signature)
    {
        ArgumentNullException.ThrowIfNull(keys);
        signature = null;
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
        foreach (var candidate in signatures.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            // Other versions (v1a is asymmetric) are not ours to check; they neither pass nor fail the request.
            if (candidate.StartsWith("v1,", StringComparison.Ordinal))
            {
                var buffer = new byte[candidate.Length];
                if (Convert.TryFromBase64String(candidate[3..], buffer, out var length) && length == HMACSHA256.HashSizeInBytes)
                {
                    presented.Add(buffer[..length]);
                }
            }
        }

        if (presented.Count == 0)
        {
            return SignatureCheck.Malformed;
        }

        var prefix = Encoding.UTF8.GetBytes($"{id}.{timestamp}.");
        var hashes = keys.Select(key =>
        {
            var hash = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, key);
            hash.AppendData(prefix);
            return hash;
        }).ToList();
        signature = new Streaming(hashes, presented);
        return SignatureCheck.Valid;
    }

    /// <summary>Checks the three headers against the whole body with every key, comparing digests in constant time.</summary>
    public static SignatureCheck Verify(IReadOnlyList<byte[]> keys, string? id, string? timestamp, string? signatures, ReadOnlySpan<byte> body, DateTimeOffset now)
    {
        var check = Start(keys, id, timestamp, signatures, now, out var signature);
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

    private static byte[] Digest(ReadOnlySpan<byte> key, string id, string timestamp, ReadOnlySpan<byte> body)
    {
        using var hash = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, key);
        hash.AppendData(Encoding.UTF8.GetBytes($"{id}.{timestamp}."));
        hash.AppendData(body);
        return hash.GetHashAndReset();
    }

    private sealed class Streaming(List<IncrementalHash> hashes, List<byte[]> presented) : IBodySignature
    {
        public void Append(ReadOnlySpan<byte> chunk)
        {
            foreach (var hash in hashes)
            {
                hash.AppendData(chunk);
            }
        }

        public SignatureCheck Finish()
        {
            var match = false;
            foreach (var hash in hashes)
            {
                var expected = hash.GetHashAndReset();
                foreach (var candidate in presented)
                {
                    match |= CryptographicOperations.FixedTimeEquals(candidate, expected);
                }
            }

            return match ? SignatureCheck.Valid : SignatureCheck.Mismatch;
        }

        public void Dispose()
        {
            foreach (var hash in hashes)
            {
                hash.Dispose();
            }
        }
    }
}
