using System.Text.Json;
using BenchmarkDotNet.Attributes;
using MassTransit.Serialization;
using Workers.Contracts.Messages;
using Workers.Contracts.Spec;

namespace Workers.Micro;

/// <summary>
/// Bus messages to and from JSON with the options MassTransit's System.Text.Json serializer (the bus's) uses: a
/// deployment request carrying examples/web.yaml as text, and a start command of 10 replicas with the parsed spec.
/// </summary>
[MemoryDiagnoser]
public class MessageSerialization
{
    private static readonly JsonSerializerOptions Options = SystemTextJsonMessageSerializer.Options;

    private DeploymentRequested _requested = null!;
    private StartReplicas _start = null!;
    private byte[] _requestedJson = [];
    private byte[] _startJson = [];

    [GlobalSetup]
    public void Setup()
    {
        var text = System.IO.File.ReadAllText(Repository.File("examples", "web.yaml"));
        var spec = SpecParser.Parse(text, "web.yaml").Spec ?? throw new InvalidOperationException("examples/web.yaml is not valid");
        var now = new DateTimeOffset(2025, 1, 1, 12, 0, 0, TimeSpan.Zero);
        _requested = new DeploymentRequested(Guid.NewGuid(), Guid.NewGuid(), now, text, "web.yaml", "bench@example.com");
        _start = new StartReplicas(Guid.NewGuid(), Guid.NewGuid(), now, "host-a", 3, now.AddMinutes(2), spec,
            [.. Enumerable.Range(0, 10).Select(i => new ReplicaAssignment(i, [new PortBinding(8080, 18080, Protocol.Tcp), new PortBinding(9090, 20000 + i, Protocol.Tcp)]))]);
        _requestedJson = JsonSerializer.SerializeToUtf8Bytes(_requested, Options);
        _startJson = JsonSerializer.SerializeToUtf8Bytes(_start, Options);
    }

    [Benchmark]
    public byte[] SerializeDeploymentRequested() => JsonSerializer.SerializeToUtf8Bytes(_requested, Options);

    [Benchmark]
    public DeploymentRequested? DeserializeDeploymentRequested() => JsonSerializer.Deserialize<DeploymentRequested>(_requestedJson, Options);

    [Benchmark]
    public byte[] SerializeStartReplicas() => JsonSerializer.SerializeToUtf8Bytes(_start, Options);

    [Benchmark]
    public StartReplicas? DeserializeStartReplicas() => JsonSerializer.Deserialize<StartReplicas>(_startJson, Options);
}
