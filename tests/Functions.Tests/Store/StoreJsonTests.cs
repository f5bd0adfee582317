using System.Text.Json;
using System.Text.Json.Serialization;
using Workers.Contracts.Messages;
using Workers.Contracts.Spec;
using Workers.Functions.Store;

namespace Workers.Functions.Tests.Store;

/// <summary>
/// The store's columns are written with metadata generated at build time; rows written by earlier builds (by
/// reflection, with the same web defaults and enums as strings) must read back the same, and new rows must be the same
/// text.
/// </summary>
public sealed class StoreJsonTests
{
    private static readonly JsonSerializerOptions Reflection = new(JsonSerializerDefaults.Web) { Converters = { new JsonStringEnumConverter() } };

    private static readonly HostHeartbeat Heartbeat = new(
        Guid.Parse("6a0c0e0e-1111-4222-8333-944455556666"),
        Guid.Parse("7b0c0e0e-1111-4222-8333-944455556666"),
        new DateTimeOffset(2026, 11, 27, 17, 5, 1, 250, TimeSpan.Zero),
        "host-a",
        new Dictionary<string, string> { ["zone"] = "eu-1", ["disk"] = "ssd" },
        "10.0.0.7",
        2000,
        8L << 30,
        1500,
        6L << 30,
        [new RunningReplica("web", 3, 1, "c0ffee", true, new DateTimeOffset(2026, 11, 27, 17, 0, 0, TimeSpan.Zero), ReplicaHealth.Unhealthy, "GET / answered 503")],
        [new HostPort(8080, Protocol.Tcp), new HostPort(53, Protocol.Udp)],
        new HostAllowances(new HostPortRange(20000, 32767), [new HostPortRange(80, 80)], ["NET_BIND_SERVICE"]),
        new AgentIdentity("signing-key", "sealing-key"),
        new MessageSignature("key-1", "signature"))
    { AgentVersion = "1.2.3+abc" };

    [Fact]
    public void Heartbeat_IsWrittenAsByReflectionAndReadsBackTheSame()
    {
        var written = JsonSerializer.Serialize(Heartbeat, StoreJson.Options);

        Assert.Equal(JsonSerializer.Serialize(Heartbeat, Reflection), written);
        Assert.Contains("\"health\":\"Unhealthy\"", written, StringComparison.Ordinal);
        var read = JsonSerializer.Deserialize<HostHeartbeat>(JsonSerializer.Serialize(Heartbeat, Reflection), StoreJson.Options)!;
        Assert.Equal(JsonSerializer.Serialize(Heartbeat, Reflection), JsonSerializer.Serialize(read, Reflection));
        Assert.Equal("1.2.3+abc", read.AgentVersion);
    }

    [Fact]
    public void PortsAndProblems_AreWrittenAsByReflectionAndReadBackTheSame()
    {
        IReadOnlyList<PortBinding> ports = [new PortBinding(8080, 28130, Protocol.Tcp), new PortBinding(53, 20053, Protocol.Udp)];
        IReadOnlyList<SpecProblem> problems = [new SpecProblem("web.yaml", 3, 7, "ports[0].container", "port.range", "70000 is not a port")];

        Assert.Equal(JsonSerializer.Serialize(ports, Reflection), JsonSerializer.Serialize(ports, StoreJson.Options));
        Assert.Equal(JsonSerializer.Serialize(problems, Reflection), JsonSerializer.Serialize(problems, StoreJson.Options));
        Assert.Equal(ports, JsonSerializer.Deserialize<List<PortBinding>>(JsonSerializer.Serialize(ports, Reflection), StoreJson.Options));
        Assert.Equal(problems, JsonSerializer.Deserialize<List<SpecProblem>>(JsonSerializer.Serialize(problems, Reflection), StoreJson.Options));
    }

    [Fact]
    public void StoredTypes_HaveGeneratedMetadata()
    {
        Assert.All(
            [typeof(HostHeartbeat), typeof(List<PortBinding>), typeof(List<SpecProblem>), typeof(DeploymentSpec)],
            type => Assert.NotNull(StoreJsonContext.Default.GetTypeInfo(type)));
    }
}
