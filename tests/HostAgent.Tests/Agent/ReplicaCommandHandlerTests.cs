using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Workers.Contracts.Messages;
using Workers.Contracts.Spec;
using Workers.HostAgent.Agent;
using Workers.HostAgent.Tests.Support;

namespace Workers.HostAgent.Tests.Agent;

/// <summary>
/// The agent's refusals: a start command that expired, that is for another host, that is older than the revision the
/// host runs, or that asks for a host port or a capability the agent does not allow is answered with <see cref="ReplicaFailed"/> saying why, and never reaches the container engine (the fake
/// engine throws on any start).
/// </summary>
public sealed class ReplicaCommandHandlerTests : IDisposable
{
    private static readonly AgentOptions Options = new(HostId.From("host-a"), new Dictionary<string, string>(), "127.0.0.1", TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(1));
    private static readonly DeploymentSpec Spec = SpecParser.Parse("name: web\nimage: workers-test/httpd:1\nreplicas: 2\n", "web.yaml").Spec!;

    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2025, 1, 1, 0, 0, 0, TimeSpan.Zero));
    private readonly FakeRuntime _runtime = new();
    private readonly RecordingPublisher _publisher = RecordingPublisher.Create();
    private readonly HealthProbes _probes;
    private readonly HealthMonitor _monitor;
    private readonly ReplicaCommandHandler _handler;

    public ReplicaCommandHandlerTests()
    {
        _probes = new HealthProbes(_runtime, Options);
        _monitor = new HealthMonitor(_publisher.Scopes(), _runtime, _probes, Options, _time, NullLogger<HealthMonitor>.Instance);
        _handler = new ReplicaCommandHandler(_runtime, _monitor, Options, _time, NullLogger<ReplicaCommandHandler>.Instance);
    }

    public void Dispose()
    {
        _monitor.Dispose();
        _probes.Dispose();
    }

    [Fact]
    public async Task Start_Expired_IsRefusedSayingSoWithoutTouchingTheEngine()
    {
        var command = Start("host-a", revision: 1, expiresAt: _time.GetUtcNow() - TimeSpan.FromSeconds(1));

        var results = await HandleAsync(command);

        Assert.All(results, r => Assert.Contains("the command expired at", r.Reason, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Start_ForAnotherHost_IsRefusedSayingSoWithoutTouchingTheEngine()
    {
        var command = Start("host-b", revision: 1, expiresAt: _time.GetUtcNow() + TimeSpan.FromMinutes(1));

        var results = await HandleAsync(command);

        Assert.All(results, r => Assert.Equal("the command is addressed to host host-b, not host-a", r.Reason));
    }

    [Fact]
    public async Task Start_OlderThanTheRevisionTheHostRuns_IsRefusedAsStaleWithoutTouchingTheEngine()
    {
        _runtime.Containers = [FakeRuntime.Replica("c3", "host-a", _time.GetUtcNow(), (ContainerLabels.Revision, "3"))];
        var command = Start("host-a", revision: 2, expiresAt: _time.GetUtcNow() + TimeSpan.FromMinutes(1));

        var results = await HandleAsync(command);

        Assert.All(results, r => Assert.Equal("stale command: revision 3 of web already runs on this host", r.Reason));
    }

    [Fact]
    public async Task Start_HostPortOutsideWhatTheAgentAllows_IsRefusedSayingSoWithoutTouchingTheEngine()
    {
        var command = Start("host-a", revision: 1, expiresAt: _time.GetUtcNow() + TimeSpan.FromMinutes(1)) with
        {
            Replicas = [new ReplicaAssignment(0, [new PortBinding(8080, 20001, Protocol.Tcp)]), new ReplicaAssignment(1, [new PortBinding(8080, 8080, Protocol.Tcp)])],
        };

        var results = await HandleAsync(command);

        Assert.All(results, r => Assert.Equal(
            "this host does not allow host port 8080/tcp (it allows 20000-32000; WORKERS_HOST_PORT_RANGE, WORKERS_HOST_PORTS_ALLOWED)", r.Reason));
    }

    [Fact]
    public async Task Start_CapabilityTheAgentDoesNotAllow_IsRefusedSayingSoWithoutTouchingTheEngine()
    {
        var spec = SpecParser.Parse("name: web\nimage: workers-test/httpd:1\nreplicas: 2\ncapabilities: [NET_BIND_SERVICE, SYS_ADMIN]\n", "web.yaml").Spec!;
        var command = Start("host-a", revision: 1, expiresAt: _time.GetUtcNow() + TimeSpan.FromMinutes(1)) with { Spec = spec };

        var results = await HandleAsync(command);

        Assert.All(results, r => Assert.StartsWith("this host does not allow capability SYS_ADMIN (it allows AUDIT_WRITE, CHOWN, ", r.Reason, StringComparison.Ordinal));
    }

    /// <summary>Handles the command; every result must be a failure of one of its replicas, reported as well as returned.</summary>
    private async Task<List<ReplicaFailed>> HandleAsync(StartReplicas command)
    {
        var reported = new List<object>();
        var results = await _handler.HandleAsync(command, r => { reported.Add(r); return Task.CompletedTask; }, CancellationToken.None);

        var failures = results.Select(r => Assert.IsType<ReplicaFailed>(r)).ToList();
        Assert.Equal(command.Replicas.Select(r => r.Index), failures.Select(f => f.Index));
        Assert.All(failures, f => Assert.Equal((command.CorrelationId, "host-a", "web", command.Revision), (f.CorrelationId, f.HostId, f.Name, f.Revision)));
        Assert.Equal(results, reported);
        return failures;
    }

    private StartReplicas Start(string hostId, long revision, DateTimeOffset expiresAt) =>
        new(Guid.NewGuid(), Guid.NewGuid(), _time.GetUtcNow(), hostId, revision, expiresAt, Spec, [new ReplicaAssignment(0, []), new ReplicaAssignment(1, [])]);
}
