using System.Security.Cryptography;
using Workers.Contracts.Messages;

namespace Workers.Security;

/// <summary>A private ECDSA P-256 key that signs messages: the control plane's (commands) or an agent's (results, heartbeats).</summary>
public sealed class SigningKey : IDisposable
{
    private readonly ECDsa _key;

    private SigningKey(ECDsa key)
    {
        _key = key;
        PublicKey = new PublicSigningKey(key.ExportSubjectPublicKeyInfo());
    }

    /// <summary>The public half, to hand to whoever verifies.</summary>
    public PublicSigningKey PublicKey { get; }

    public static SigningKey Generate() => new(ECDsa.Create(ECCurve.NamedCurves.nistP256));

    /// <summary>Reads a PKCS#8 key from PEM text; throws <see cref="FormatException"/> saying what is wrong.</summary>
    public static SigningKey FromPem(string pem, string label = KeyFiles.SigningLabel)
    {
        var key = ECDsa.Create();
        try
        {
            key.ImportPkcs8PrivateKey(KeyFiles.Block(pem, label), out _);
            if (key.KeySize != 256)
            {
                throw new FormatException($"the signing key is a {key.KeySize}-bit key, not P-256");
            }

            return new SigningKey(key);
        }
        catch (CryptographicException e)
        {
            key.Dispose();
            throw new FormatException($"the {label} block is not a PKCS#8 EC private key: {e.Message}", e);
        }
    }

    public string ToPem(string label = KeyFiles.SigningLabel) => KeyFiles.Pem(label, _key.ExportPkcs8PrivateKey());

    /// <summary>The message, signed.</summary>
    public T Sign<T>(T message)
        where T : ISignedMessage
    {
        ArgumentNullException.ThrowIfNull(message);
        var signature = _key.SignData(MessageSigning.CanonicalBytes(message), HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
        return (T)message.WithSignature(new MessageSignature(PublicKey.KeyId, Convert.ToBase64String(signature)));
    }

    /// <summary>Signs <paramref name="message"/> when it is a signed kind; anything else is returned as it is.</summary>
    public object SignIfSigned(object message) => message is ISignedMessage signed ? Sign(signed) : message;

    public void Dispose() => _key.Dispose();
}
