using System.Security.Cryptography;
using System.Text;

namespace Workers.Security;

/// <summary>
/// An agent's private ECDH P-256 key: secrets for its containers are sealed to its public half (<see cref="Seal"/>) and
/// only this key opens them. A sealed value is <c>v1.</c> + base64 of: the sender's one-time public key
/// (SubjectPublicKeyInfo, 91 bytes), a 12-byte nonce, the AES-256-GCM ciphertext and its 16-byte tag; the AES key is
/// HKDF-SHA256 of the shared secret, and <c>context</c> (what the value is for) is the associated data, so a value
/// sealed for one use does not open for another.
/// </summary>
public sealed class SealingKey : IDisposable
{
    private const string Prefix = "v1.";
    private const int SpkiLength = 91;
    private const int NonceLength = 12;
    private const int TagLength = 16;
    private static readonly byte[] Info = Encoding.ASCII.GetBytes("workers/sealed/v1");
    private readonly ECDiffieHellman _key;

    private SealingKey(ECDiffieHellman key)
    {
        _key = key;
        PublicKey = Convert.ToBase64String(key.ExportSubjectPublicKeyInfo());
    }

    /// <summary>The public half (SubjectPublicKeyInfo, base64), carried in the agent's heartbeats.</summary>
    public string PublicKey { get; }

    /// <summary>True when <paramref name="publicKey"/> is a P-256 public key (SubjectPublicKeyInfo, base64) values can be sealed to.</summary>
    public static bool IsPublicKey(string? publicKey, out string? error)
    {
        error = null;
        try
        {
            var spki = Convert.FromBase64String(publicKey ?? string.Empty);
            using var key = ECDiffieHellman.Create();
            key.ImportSubjectPublicKeyInfo(spki, out _);
            if (key.KeySize != 256 || spki.Length != SpkiLength)
            {
                error = $"is a {key.KeySize}-bit key, not P-256";
            }
        }
        catch (Exception e) when (e is FormatException or CryptographicException)
        {
            error = "is not an EC public key (SubjectPublicKeyInfo, base64)";
        }

        return error is null;
    }

    public static SealingKey Generate() => new(ECDiffieHellman.Create(ECCurve.NamedCurves.nistP256));

    public static SealingKey FromPem(string pem)
    {
        var key = ECDiffieHellman.Create();
        try
        {
            key.ImportPkcs8PrivateKey(KeyFiles.Block(pem, KeyFiles.SealingLabel), out _);
            return new SealingKey(key);
        }
        catch (CryptographicException e)
        {
            key.Dispose();
            throw new FormatException($"the {KeyFiles.SealingLabel} block is not a PKCS#8 EC private key: {e.Message}", e);
        }
    }

    public string ToPem() => KeyFiles.Pem(KeyFiles.SealingLabel, _key.ExportPkcs8PrivateKey());

    /// <summary>Seals <paramref name="plaintext"/> so that only the holder of <paramref name="recipientPublicKey"/>'s private half opens it.</summary>
    public static string Seal(string recipientPublicKey, ReadOnlySpan<byte> plaintext, string context)
    {
        using var recipient = ECDiffieHellman.Create();
        recipient.ImportSubjectPublicKeyInfo(Convert.FromBase64String(recipientPublicKey), out _);
        using var ephemeral = ECDiffieHellman.Create(ECCurve.NamedCurves.nistP256);
        var spki = ephemeral.ExportSubjectPublicKeyInfo();
        var key = DeriveKey(ephemeral, recipient.PublicKey, spki);
        var sealedBytes = new byte[spki.Length + NonceLength + plaintext.Length + TagLength];
        spki.CopyTo(sealedBytes, 0);
        var nonce = sealedBytes.AsSpan(spki.Length, NonceLength);
        RandomNumberGenerator.Fill(nonce);
        using var aes = new AesGcm(key, TagLength);
        aes.Encrypt(nonce, plaintext, sealedBytes.AsSpan(spki.Length + NonceLength, plaintext.Length), sealedBytes.AsSpan(sealedBytes.Length - TagLength), Encoding.UTF8.GetBytes(context));
        CryptographicOperations.ZeroMemory(key);
        return Prefix + Convert.ToBase64String(sealedBytes);
    }

    /// <summary>Opens a value <see cref="Seal"/>ed to this key for <paramref name="context"/>; throws <see cref="CryptographicException"/> otherwise.</summary>
    public byte[] Open(string sealedValue, string context)
    {
        ArgumentNullException.ThrowIfNull(sealedValue);
        if (!sealedValue.StartsWith(Prefix, StringComparison.Ordinal))
        {
            throw new CryptographicException("not a sealed value (v1.)");
        }

        var bytes = Convert.FromBase64String(sealedValue[Prefix.Length..]);
        if (bytes.Length < SpkiLength + NonceLength + TagLength)
        {
            throw new CryptographicException("the sealed value is too short");
        }

        var spki = bytes.AsSpan(0, SpkiLength).ToArray();
        using var sender = ECDiffieHellman.Create();
        sender.ImportSubjectPublicKeyInfo(spki, out _);
        var key = DeriveKey(_key, sender.PublicKey, spki);
        var plaintext = new byte[bytes.Length - SpkiLength - NonceLength - TagLength];
        using var aes = new AesGcm(key, TagLength);
        aes.Decrypt(bytes.AsSpan(SpkiLength, NonceLength), bytes.AsSpan(SpkiLength + NonceLength, plaintext.Length), bytes.AsSpan(bytes.Length - TagLength), plaintext, Encoding.UTF8.GetBytes(context));
        CryptographicOperations.ZeroMemory(key);
        return plaintext;
    }

    private static byte[] DeriveKey(ECDiffieHellman own, ECDiffieHellmanPublicKey other, byte[] ephemeralSpki)
    {
        var shared = own.DeriveRawSecretAgreement(other);
        var key = HKDF.DeriveKey(HashAlgorithmName.SHA256, shared, 32, ephemeralSpki, Info);
        CryptographicOperations.ZeroMemory(shared);
        return key;
    }

    public void Dispose() => _key.Dispose();
}
