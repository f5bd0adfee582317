using System.Text.Json;
using Workers.Contracts.Messages;
using Workers.Contracts.Spec;

namespace Workers.Security.Tests;

public sealed class MessageSignatureTests
{
    private static readonly JsonSerializerOptions Wire = new(JsonSerializerDefaults.Web);

    private static StartReplicas Command(string host = "host-a") =>
        new(Guid.NewGuid(), Guid.NewGuid(), DateTimeOffset.Parse("2026-11-26T10:00:00.1234567+00:00", System.Globalization.CultureInfo.InvariantCulture), host, 3,
            DateTimeOffset.Parse("2026-11-26T10:00:15+00:00", System.Globalization.CultureInfo.InvariantCulture),
            SpecParser.Parse("name: web\nimage: busybox:1\nreplicas: 2\nenv:\n  B: two\n  A: one\nports:\n  - container: 80\n", "web.yaml", SpecFormat.Yaml).Spec!,
            [new ReplicaAssignment(0, [new PortBinding(80, 20001, Protocol.Tcp)])]);

    private static T RoundTrip<T>(T message) => JsonSerializer.Deserialize<T>(JsonSerializer.Serialize(message, Wire), Wire)!;

    [Fact]
    public void SignedCommand_AfterAWireRoundTrip_VerifiesWithTheSignersKey()
    {
        using var key = SigningKey.Generate();
        var received = RoundTrip(key.Sign(Command()));

        Assert.Null(key.PublicKey.Refusal(received));
        Assert.Equal(key.PublicKey.KeyId, received.Signature!.KeyId);
    }

    [Fact]
    public void SignedCommand_WithAnyFieldChanged_IsRefused()
    {
        using var key = SigningKey.Generate();
        var signed = key.Sign(Command());

        Assert.Contains("does not match", key.PublicKey.Refusal(signed with { HostId = "host-b" }));
        Assert.Contains("does not match", key.PublicKey.Refusal(signed with { ExpiresAt = signed.ExpiresAt.AddHours(1) }));
        Assert.Contains("does not match", key.PublicKey.Refusal(signed with { Revision = 4 }));
        var otherSpec = SpecParser.Parse("name: web\nimage: busybox:2\nreplicas: 2\n", "web.yaml", SpecFormat.Yaml).Spec!;
        Assert.Contains("does not match", key.PublicKey.Refusal(signed with { Spec = otherSpec }));
        Assert.Contains("does not match", key.PublicKey.Refusal(signed with { Replicas = [new ReplicaAssignment(0, [new PortBinding(80, 20002, Protocol.Tcp)])] }));
    }

    [Fact]
    public void SignedHeartbeat_WithItsLabelsOrIdentityChanged_IsRefused()
    {
        using var agent = AgentKeys.Generate();
        using var other = AgentKeys.Generate();
        var signed = agent.Signing.Sign(new HostHeartbeat(
            Guid.NewGuid(), Guid.NewGuid(), DateTimeOffset.UtcNow, "host-a", new Dictionary<string, string> { ["zone"] = "b" }, "127.0.0.1",
            2000, 1 << 30, 1500, 1 << 29, [], [], null, agent.Identity));

        Assert.Contains("does not match", agent.Signing.PublicKey.Refusal(signed with { Labels = new Dictionary<string, string> { ["zone"] = "a" } }));
        Assert.Contains("does not match", agent.Signing.PublicKey.Refusal(signed with { Identity = other.Identity }));
    }

    [Fact]
    public void SignedForm_LeavesNullFieldsOut_SoASenderThatPredatesAFieldSignsTheSameBytes()
    {
        var form = System.Text.Encoding.UTF8.GetString(MessageSigning.CanonicalBytes(Command()));

        Assert.DoesNotContain(nameof(StartReplicas.SealedEnv), form, StringComparison.Ordinal);
        Assert.DoesNotContain(nameof(StartReplicas.Signature), form, StringComparison.Ordinal);
        Assert.Contains(nameof(StartReplicas.ExpiresAt), form, StringComparison.Ordinal);
    }

    [Fact]
    public void Command_Unsigned_IsRefusedAsNotSigned() =>
        Assert.Equal("it is not signed", new TrustedKeys([SigningKey.Generate().PublicKey]).Refusal(Command()));

    [Fact]
    public void Command_SignedByAnotherKey_IsRefusedNamingBothKeys()
    {
        using var trusted = SigningKey.Generate();
        using var other = SigningKey.Generate();

        var refusal = new TrustedKeys([trusted.PublicKey]).Refusal(other.Sign(Command()));

        Assert.Contains(other.PublicKey.KeyId, refusal);
        Assert.Contains(trusted.PublicKey.KeyId, refusal);
    }

    [Fact]
    public void Command_SignedByAnotherKeyClaimingTheTrustedKeysId_IsRefused()
    {
        using var trusted = SigningKey.Generate();
        using var other = SigningKey.Generate();
        var forged = other.Sign(Command());
        forged = forged with { Signature = forged.Signature! with { KeyId = trusted.PublicKey.KeyId } };

        Assert.Contains("does not match", new TrustedKeys([trusted.PublicKey]).Refusal(forged));
    }

    [Fact]
    public void TrustedKeys_DuringRotation_AcceptCommandsSignedByEitherKey()
    {
        using var old = SigningKey.Generate();
        using var next = SigningKey.Generate();
        var trusted = new TrustedKeys([old.PublicKey, next.PublicKey]);

        Assert.Null(trusted.Refusal(old.Sign(Command())));
        Assert.Null(trusted.Refusal(next.Sign(Command())));
    }

    [Fact]
    public void Signature_OfOneMessageType_DoesNotPassForAnotherWithTheSameFields()
    {
        using var key = SigningKey.Generate();
        var stopped = key.Sign(new ReplicaStopped(Guid.NewGuid(), Guid.NewGuid(), DateTimeOffset.UnixEpoch, "host-a", "web", 1, 0));
        var started = new ReplicaStarted(stopped.MessageId, stopped.CorrelationId, stopped.Timestamp, "host-a", "web", 1, 0, "c1", [], stopped.Signature);

        Assert.Contains("does not match", key.PublicKey.Refusal(started));
    }

    [Fact]
    public void Heartbeat_SignedByTheAgent_AfterAWireRoundTrip_Verifies()
    {
        using var agent = AgentKeys.Generate();
        var heartbeat = agent.Signing.Sign(new HostHeartbeat(
            Guid.NewGuid(), Guid.NewGuid(), DateTimeOffset.UtcNow, "host-a", new Dictionary<string, string> { ["zone"] = "b", ["arch"] = "x86" }, "127.0.0.1",
            2000, 1 << 30, 1500, 1 << 29, [], [new HostPort(22, Protocol.Tcp)], null, agent.Identity));

        Assert.Null(PublicSigningKey.Parse(agent.Identity.SigningKey).Refusal(RoundTrip(heartbeat)));
    }

    [Fact]
    public void TrustedKeys_FromAPublicKeyFile_ReadEachLine()
    {
        using var a = SigningKey.Generate();
        using var b = SigningKey.Generate();
        var file = Path.GetTempFileName();
        File.WriteAllText(file, $"{a.PublicKey.Base64}\n\n{b.PublicKey.Base64}\n");
        try
        {
            Assert.True(TrustedKeys.TryParse(file, out var keys, out var error), error);
            Assert.Equal([a.PublicKey.KeyId, b.PublicKey.KeyId], keys!.Keys.Select(k => k.KeyId).Order().ToArray().OrderBy(k => k == a.PublicKey.KeyId ? 0 : 1).ToArray());
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Theory]
    [InlineData("", "names no key")]
    [InlineData("not-base64!", "is not base64")]
    [InlineData("aGVsbG8=", "is not an EC public key")]
    public void TrustedKeys_ThatAreNotKeys_AreRefusedSayingWhy(string text, string problem)
    {
        Assert.False(TrustedKeys.TryParse(text, out _, out var error));
        Assert.Contains(problem, error);
    }
}
