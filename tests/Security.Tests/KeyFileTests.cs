using System.Security.Cryptography;
using System.Text;

namespace Workers.Security.Tests;

[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class KeyFileTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("workers-keys-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public void AgentKeys_MadeOnFirstStart_AreOwnerOnlyAndTheSameAtTheNextStart()
    {
        var path = Path.Combine(_directory, "sub", "agent-host-a.key");
        using var first = AgentKeys.LoadOrCreate(path);
        using var second = AgentKeys.LoadOrCreate(path);

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        Assert.Equal(first.Identity, second.Identity);
    }

    [Fact]
    public void ControlPlaneKey_FromAFile_WritesItsPublicKeyBesideIt()
    {
        var path = Path.Combine(_directory, "control.key");
        using var key = ControlPlaneKey.Load(path);

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        Assert.Equal(key.PublicKey.Base64, File.ReadAllText(Path.Combine(_directory, "control.pub")).Trim());
        Assert.True(TrustedKeys.TryParse(Path.Combine(_directory, "control.pub"), out var trusted, out _));
        Assert.Equal(key.PublicKey, Assert.Single(trusted!.Keys));
    }

    [Fact]
    public void ControlPlaneKey_GivenAsPemText_IsThatKey()
    {
        using var made = SigningKey.Generate();
        using var loaded = ControlPlaneKey.Load(made.ToPem());

        Assert.Equal(made.PublicKey, loaded.PublicKey);
    }

    [Fact]
    public void ControlPlaneKey_FileWithoutTheKeyBlock_IsRefusedSayingWhatIsMissing()
    {
        var path = Path.Combine(_directory, "control.key");
        File.WriteAllText(path, "hello");

        var error = Assert.Throws<FormatException>(() => ControlPlaneKey.Load(path));
        Assert.Contains(KeyFiles.SigningLabel, error.Message);
    }

    [Fact]
    public void SealedValue_OpensOnlyWithTheRecipientsKeyAndForItsContext()
    {
        using var agent = AgentKeys.Generate();
        using var other = AgentKeys.Generate();
        var sealedValue = SealingKey.Seal(agent.Identity.SealingKey, Encoding.UTF8.GetBytes("s3cret"), "web/3/DB_PASSWORD");

        Assert.DoesNotContain("s3cret", sealedValue, StringComparison.Ordinal);
        Assert.Equal("s3cret", Encoding.UTF8.GetString(agent.Sealing.Open(sealedValue, "web/3/DB_PASSWORD")));
        Assert.ThrowsAny<CryptographicException>(() => other.Sealing.Open(sealedValue, "web/3/DB_PASSWORD"));
        Assert.ThrowsAny<CryptographicException>(() => agent.Sealing.Open(sealedValue, "web/3/API_KEY"));
    }

    [Fact]
    public void SealedValue_SealedTwice_DiffersEachTime()
    {
        using var agent = AgentKeys.Generate();

        Assert.NotEqual(
            SealingKey.Seal(agent.Identity.SealingKey, "x"u8, "c"),
            SealingKey.Seal(agent.Identity.SealingKey, "x"u8, "c"));
    }
}
