using System.Security.Cryptography;
using System.Text;

namespace Workers.Intake;

/// <summary>
/// A deployment id derived from what identifies a request (webhook, delivery id, rule), so that a delivery that gets
/// past the store's delivery record anyway (two copies at once) is still the same deployment to the pipeline.
/// </summary>
internal static class DeterministicId
{
    public static Guid From(params string[] parts)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(string.Join('\n', parts)));
        var bytes = hash.AsSpan(0, 16);
        bytes[6] = (byte)((bytes[6] & 0x0F) | 0x80); // RFC 9562 version 8: application-defined
        bytes[8] = (byte)((bytes[8] & 0x3F) | 0x80); // RFC 4122 variant
        return new Guid(bytes, bigEndian: true);
    }
}
