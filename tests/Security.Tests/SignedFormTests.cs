using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Serialization;
using Workers.Contracts.Messages;
using Workers.Contracts.Spec;

namespace Workers.Security.Tests;

/// <summary>
/// The signed form is written by build-time JSON metadata (so that an agent compiled ahead of time signs without
/// reflection); these tests hold it to the bytes the reflection-based serializer wrote before, which every running
/// sender and receiver computes: a different byte would fail every signature across a rolling upgrade.
/// </summary>
public sealed class SignedFormTests
{
    private static readonly JsonSerializerOptions ReflectionForm = new(JsonSerializerDefaults.General)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    private static readonly DateTimeOffset At = new(2026, 11, 27, 20, 30, 0, 123, TimeSpan.Zero);

    public static TheoryData<string> FilledMessages() => [.. Filled().Keys];

    [Theory]
    [MemberData(nameof(FilledMessages))]
    public void SignedForm_OfAFilledMessage_IsTheReflectionSerializersBytes(string type)
    {
        var message = Filled()[type];
        var unsigned = message.WithSignature(null);
        var expected = System.Text.Encoding.UTF8.GetBytes($"workers/signed/v1\n{unsigned.GetType().FullName}\n")
            .Concat(JsonSerializer.SerializeToUtf8Bytes(unsigned, unsigned.GetType(), ReflectionForm));

        Assert.Equal(System.Text.Encoding.UTF8.GetString([.. expected]), System.Text.Encoding.UTF8.GetString(MessageSigning.CanonicalBytes(message)));
    }

    [Fact]
    public void EverySignedMessageOfTheContracts_HasASignedForm()
    {
        var signed = typeof(ISignedMessage).Assembly.GetTypes()
            .Where(t => typeof(ISignedMessage).IsAssignableFrom(t) && t is { IsAbstract: false, IsInterface: false })
            .ToList();

        Assert.Equal(Filled().Keys.Order(StringComparer.Ordinal), signed.Select(t => t.Name).Order(StringComparer.Ordinal));
        foreach (var type in signed)
        {
            // Empty fields are left out of the form, so an instance with none set shows whether the type is known at all.
            var empty = (ISignedMessage)RuntimeHelpers.GetUninitializedObject(type);
            Assert.StartsWith($"workers/signed/v1\n{type.FullName}\n{{", System.Text.Encoding.UTF8.GetString(MessageSigning.CanonicalBytes(empty)), StringComparison.Ordinal);
        }
    }

    private static Dictionary<string, ISignedMessage> Filled()
    {
        var spec = SpecParser.Parse(
            "name: web\nimage: busybox:1\nreplicas: 3\nenv:\n  B: \"two <&> ü\"\n  A: one\nports:\n  - container: 80\n  - container: 53\n    host: 5353\n    protocol: udp\n"
            + "resources: { cpu: 250m, memory: 64Mi }\nhealthCheck:\n  http: { path: /health, port: 80 }\n  interval: 2s\nupdate:\n  maxSurge: 1\n  minReady: 1s\n"
            + "placement:\n  labels: { zone: b }\n",
            "web.yaml",
            SpecFormat.Yaml).Spec!;
        var id = Guid.Parse("6f1c2a8e-59b4-4c2e-9d53-0b7c1a2d3e4f");
        var correlation = Guid.Parse("0b7c1a2d-3e4f-4c2e-9d53-6f1c2a8e59b4");
        var signature = new MessageSignature("key-1", "c2lnbmF0dXJl");
        var ports = new[] { new PortBinding(80, 20001, Protocol.Tcp), new PortBinding(53, 5353, Protocol.Udp) };
        var messages = new ISignedMessage[]
        {
            new StartReplicas(id, correlation, At, "host-a", 4, At.AddSeconds(15), spec, [new ReplicaAssignment(0, ports), new ReplicaAssignment(2, [])], signature,
                new Dictionary<string, string> { ["TOKEN"] = "sealed:abc" }),
            new StopReplicas(id, correlation, At, "host-a", "web", 4, [0, 2], signature),
            new ReadContainerLogs(id, correlation, At, "host-a", "web", 4, 1, "0123456789ab", 20, At.AddMinutes(-5), "cursor-1", At.AddSeconds(30), signature),
            new ReplicaStarted(id, correlation, At, "host-a", "web", 4, 1, "0123456789ab", ports, signature),
            new ReplicaFailed(id, correlation, At, "host-a", "web", 4, 1, "port 5353/udp is \"taken\"", HostPortTaken: true, signature),
            new ReplicaStopped(id, correlation, At, "host-a", "web", 4, 1, signature),
            new ReplicaHealthChanged(id, correlation, At, "host-a", "web", 4, 1, "0123456789ab", ReplicaHealth.Unhealthy, "GET /health: 503", signature),
            new HostHeartbeat(id, correlation, At, "host-a", new Dictionary<string, string> { ["zone"] = "b", ["disk"] = "ssd" }, "10.0.0.7",
                2000, 1L << 33, 1500, 1L << 32,
                [new RunningReplica("web", 4, 1, "0123456789ab", true, At.AddMinutes(-1), ReplicaHealth.Healthy), new RunningReplica("api", 2, 0, "ba9876543210", false, At, ReplicaHealth.Unhealthy, "exited 1")],
                [new HostPort(20001, Protocol.Tcp), new HostPort(5353, Protocol.Udp)],
                new HostAllowances(new HostPortRange(20000, 32767), [new HostPortRange(5353, 5353)], ["NET_BIND_SERVICE"]),
                new AgentIdentity("signing-public", "sealing-public"),
                signature) { AgentVersion = "1.2.3+abc" },
        };
        return messages.ToDictionary(m => m.GetType().Name);
    }
}
