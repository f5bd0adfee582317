using System.Text;
using System.Text.Json;
using Workers.Contracts.Messages;

namespace Workers.Security;

/// <summary>
/// The bytes a message's signature covers: a domain tag, the message's type and the message as JSON with no signature.
/// Sender and receiver each compute them from the message object, so the form the transport carried (MassTransit's
/// envelope, a Service Bus body) does not matter; the type in the tag keeps one message's signature from passing as
/// another's. Null fields are left out, so that a field added later (null when unused) does not change the form an
/// older sender or receiver computes: a rolling upgrade keeps its signatures.
/// </summary>
public static class MessageSigning
{
    public static byte[] CanonicalBytes(ISignedMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        var unsigned = message.WithSignature(null);
        var type = unsigned.GetType();
        var tag = Encoding.UTF8.GetBytes($"workers/signed/v1\n{type.FullName}\n");
        var body = JsonSerializer.SerializeToUtf8Bytes(unsigned, SigningJson.Default.GetTypeInfo(type)
            ?? throw new NotSupportedException($"{type.FullName} is a signed message missing from {nameof(SigningJson)}"));
        return [.. tag, .. body];
    }
}
