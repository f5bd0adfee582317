using Workers.Contracts.Messages;

namespace Workers.Security;

/// <summary>
/// An agent's identity: the key it signs its messages with and the key secrets for its containers are sealed to, kept
/// together in one file on the host (made on first start, mode 0600).
/// </summary>
public sealed class AgentKeys : IDisposable
{
    private AgentKeys(SigningKey signing, SealingKey sealing) => (Signing, Sealing) = (signing, sealing);

    public SigningKey Signing { get; }

    public SealingKey Sealing { get; }

    /// <summary>The public keys, as heartbeats carry them.</summary>
    public AgentIdentity Identity => new(Signing.PublicKey.Base64, Sealing.PublicKey);

    public static AgentKeys Generate() => new(SigningKey.Generate(), SealingKey.Generate());

    public static string DefaultPath(string hostId) => Path.Combine(KeyFiles.DefaultDirectory(), $"agent-{hostId}.key");

    /// <summary>Reads the key file at <paramref name="path"/>, making it first when there is none.</summary>
    public static AgentKeys LoadOrCreate(string path)
    {
        var pem = KeyFiles.ReadOrCreate(path, () =>
        {
            using var fresh = Generate();
            return fresh.ToPem();
        });
        return FromPem(pem);
    }

    public static AgentKeys FromPem(string pem) => new(SigningKey.FromPem(pem), SealingKey.FromPem(pem));

    public string ToPem() => Signing.ToPem() + Sealing.ToPem();

    public void Dispose()
    {
        Signing.Dispose();
        Sealing.Dispose();
    }
}
