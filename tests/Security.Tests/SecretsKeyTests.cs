using System.Security.Cryptography;
using System.Text;

namespace Workers.Security.Tests;

[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class SecretsKeyTests : IDisposable
{
    private static readonly byte[] Value = Encoding.UTF8.GetBytes("correct horse battery staple");

    private readonly string _directory = Directory.CreateTempSubdirectory("workers-secrets-key-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public void Encrypt_AValue_CiphertextHoldsNoneOfItAndDecryptsBack()
    {
        using var key = Parse(SecretsKey.GenerateBase64());

        var (ciphertext, nonce) = key.Encrypt("db-password", Value);

        Assert.Equal(-1, ciphertext.AsSpan().IndexOf(Value.AsSpan(0, 8)));
        Assert.Equal(Value, key.Decrypt("db-password", ciphertext, nonce));
    }

    [Fact]
    public void Encrypt_TheSameValueTwice_GivesDifferentCiphertexts()
    {
        using var key = Parse(SecretsKey.GenerateBase64());

        Assert.NotEqual(key.Encrypt("a", Value).Ciphertext, key.Encrypt("a", Value).Ciphertext);
    }

    [Fact]
    public void Decrypt_WithAnotherKey_Fails()
    {
        using var key = Parse(SecretsKey.GenerateBase64());
        using var other = Parse(SecretsKey.GenerateBase64());
        var (ciphertext, nonce) = key.Encrypt("db-password", Value);

        Assert.ThrowsAny<CryptographicException>(() => other.Decrypt("db-password", ciphertext, nonce));
        Assert.NotEqual(key.KeyId, other.KeyId);
    }

    [Fact]
    public void Decrypt_UnderAnotherName_Fails()
    {
        using var key = Parse(SecretsKey.GenerateBase64());
        var (ciphertext, nonce) = key.Encrypt("db-password", Value);

        Assert.ThrowsAny<CryptographicException>(() => key.Decrypt("api-token", ciphertext, nonce));
    }

    [Fact]
    public void Decrypt_OneByteChanged_Fails()
    {
        using var key = Parse(SecretsKey.GenerateBase64());
        var (ciphertext, nonce) = key.Encrypt("db-password", Value);
        ciphertext[3] ^= 1;

        Assert.ThrowsAny<CryptographicException>(() => key.Decrypt("db-password", ciphertext, nonce));
    }

    [Fact]
    public void KeyId_SameKeyParsedTwice_IsTheSame()
    {
        var text = SecretsKey.GenerateBase64();
        using var first = Parse(text);
        using var second = Parse(text);

        Assert.Equal(first.KeyId, second.KeyId);
        Assert.Matches("^[0-9a-f]{16}$", first.KeyId);
    }

    [Theory]
    [InlineData("")]
    [InlineData("not base64!")]
    [InlineData("c2hvcnQ=")]
    public void TryParse_NotBase64Of32Bytes_SaysWhyWithoutEchoingIt(string text)
    {
        Assert.False(SecretsKey.TryParse(text, out var key, out var error));
        Assert.Null(key);
        Assert.DoesNotContain(text.Length > 0 ? text : "\0", error!, StringComparison.Ordinal);
    }

    [Fact]
    public void ControlPlaneSealingKey_FromAFile_IsOwnerOnlyWithItsPublicKeyBeside()
    {
        var path = Path.Combine(_directory, "control-sealing.key");
        using var first = ControlPlaneSealingKey.Load(path);
        using var second = ControlPlaneSealingKey.Load(path);

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        Assert.Equal(first.PublicKey, second.PublicKey);
        Assert.Equal(first.PublicKey, File.ReadAllText(Path.Combine(_directory, "control-sealing.pub")).Trim());
    }

    [Fact]
    public void SealingContexts_ForTwoVariables_Differ() =>
        Assert.NotEqual(SealingContexts.EnvValue("web", 3, "A"), SealingContexts.EnvValue("web", 3, "B"));

    [Fact]
    public void Open_ValueSealedForOneVariable_FailsForAnother()
    {
        using var key = SealingKey.Generate();
        var sealedValue = SealingKey.Seal(key.PublicKey, Value, SealingContexts.EnvValue("web", 3, "A"));

        Assert.ThrowsAny<CryptographicException>(() => key.Open(sealedValue, SealingContexts.EnvValue("web", 4, "A")));
        Assert.Equal(Value, key.Open(sealedValue, SealingContexts.EnvValue("web", 3, "A")));
    }

    private static SecretsKey Parse(string text) =>
        SecretsKey.TryParse(text, out var key, out var error) ? key! : throw new InvalidOperationException(error);

    [Fact]
    public void EncryptAndDecrypt_FromManyThreadsAtOnce_EveryValueOpensToItself()
    {
        Assert.True(SecretsKey.TryParse(SecretsKey.GenerateBase64(), out var key, out _));
        using (key)
        {
            var failures = 0;
            Parallel.For(0, 4000, new ParallelOptions { MaxDegreeOfParallelism = 8 }, i =>
            {
                var value = System.Text.Encoding.UTF8.GetBytes($"value-{i}-{new string('x', i % 300)}");
                var (ciphertext, nonce) = key!.Encrypt($"name-{i}", value);
                if (!key.Decrypt($"name-{i}", ciphertext, nonce).AsSpan().SequenceEqual(value))
                {
                    Interlocked.Increment(ref failures);
                }
            });

            Assert.Equal(0, failures);
        }
    }
}
