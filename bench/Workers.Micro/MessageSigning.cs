using BenchmarkDotNet.Attributes;
using Workers.Contracts.Messages;
using Workers.Contracts.Spec;
using Workers.Security;

namespace Workers.Micro;

/// <summary>
/// What signing costs per message: the control plane signing a start command of 10 replicas (examples/web.yaml), an
/// agent verifying it, and the functions verifying a result (the smallest message an agent signs).
/// </summary>
[MemoryDiagnoser]
public class MessageSigning
{
    private readonly SigningKey _control = SigningKey.Generate();
    private readonly SigningKey _agent = SigningKey.Generate();
    private StartReplicas _start = null!;
    private StartReplicas _signedStart = null!;
    private ReplicaStarted _signedResult = null!;

    [GlobalSetup]
    public void Setup()
    {
        var spec = SpecParser.Parse(System.IO.File.ReadAllText(Repository.File("examples", "web.yaml")), "web.yaml").Spec ?? throw new InvalidOperationException("examples/web.yaml is not valid");
        var now = new DateTimeOffset(2025, 1, 1, 12, 0, 0, TimeSpan.Zero);
        _start = new StartReplicas(Guid.NewGuid(), Guid.NewGuid(), now, "host-a", 3, now.AddMinutes(2), spec,
            [.. Enumerable.Range(0, 10).Select(i => new ReplicaAssignment(i, [new PortBinding(8080, 20000 + i, Protocol.Tcp)]))]);
        _signedStart = _control.Sign(_start);
        _signedResult = _agent.Sign(new ReplicaStarted(Guid.NewGuid(), Guid.NewGuid(), now, "host-a", "web", 3, 0, new string('c', 64), [new PortBinding(8080, 20000, Protocol.Tcp)]));
    }

    [Benchmark]
    public StartReplicas SignStartReplicas() => _control.Sign(_start);

    [Benchmark]
    public string? VerifyStartReplicas() => _control.PublicKey.Refusal(_signedStart);

    [Benchmark]
    public string? VerifyReplicaStarted() => _agent.PublicKey.Refusal(_signedResult);
}
