using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Workers.Contracts.Messages;
using Workers.Contracts.Spec;
using Workers.HostAgent.Agent;
using Workers.HostAgent.Runtime;
using Workers.HostAgent.Tests.Support;

namespace Workers.HostAgent.Tests.Agent;

/// <summary>
/// The agent's refusals: a start command that expired, that is older than the revision the host runs, or that asks for
/// a host port or a capability the agent does not allow is answered with <see cref="ReplicaFailed"/> saying why; one
/// that is unsigned, signed with a key the agent does not trust, altered after signing or addressed to another host is
/// answered with nothing. Neither reaches the container engine (the fake engine throws on any start).
/// </summary>
public sealed class ReplicaCommandHandlerTests : IDisposable
{
    private static readonly AgentOptions Options = new(HostId.From("host-a"), new Dictionary<string, string>(), "127.0.0.1", TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(1)) { Keys = TestKeys.Agent, ControlKeys = TestKeys.Trusted };
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
    public async Task Start_ForAnotherHost_IsAnsweredWithNothing() =>
        await AssertIgnoredAsync(TestKeys.Control.Sign(Start("host-b", revision: 1, expiresAt: _time.GetUtcNow() + TimeSpan.FromMinutes(1))));

    [Fact]
    public async Task Start_Unsigned_IsAnsweredWithNothing() =>
        await AssertIgnoredAsync(Start("host-a", revision: 1, expiresAt: _time.GetUtcNow() + TimeSpan.FromMinutes(1)));

    [Fact]
    public async Task Start_SignedWithAKeyTheAgentDoesNotTrust_IsAnsweredWithNothing()
    {
        using var stranger = Workers.Security.SigningKey.Generate();

        await AssertIgnoredAsync(stranger.Sign(Start("host-a", revision: 1, expiresAt: _time.GetUtcNow() + TimeSpan.FromMinutes(1))));
    }

    [Fact]
    public async Task Start_ChangedAfterItWasSigned_IsAnsweredWithNothing() =>
        await AssertIgnoredAsync(TestKeys.Control.Sign(Start("host-a", revision: 1, expiresAt: _time.GetUtcNow() + TimeSpan.FromMinutes(1))) with { Revision = 9 });

    [Fact]
    public async Task Stop_Unsigned_RemovesNothingAndIsAnsweredWithNothing()
    {
        _runtime.Containers = [FakeRuntime.Replica("c1", "host-a", _time.GetUtcNow())];

        var results = await _handler.HandleAsync(Stop(_time.GetUtcNow()) with { Signature = null }, CancellationToken.None);

        Assert.Empty(results);
        Assert.Empty(_runtime.Removals);
    }

    [Fact]
    public async Task Stop_MadeBeforeTheStartThatMadeTheContainer_LeavesItRunningAndIsAnsweredWithNothing()
    {
        var startedAt = _time.GetUtcNow();
        _runtime.Containers = [FakeRuntime.Replica("c1", "host-a", startedAt, (ContainerLabels.CommandAt, startedAt.ToUnixTimeMilliseconds().ToString(System.Globalization.CultureInfo.InvariantCulture)))];

        var results = await _handler.HandleAsync(Stop(startedAt - TimeSpan.FromSeconds(30)), CancellationToken.None);

        Assert.Empty(results);
        Assert.Empty(_runtime.Removals);
    }

    [Fact]
    public async Task Stop_MadeAfterTheStartThatMadeTheContainer_RemovesItAndSaysSo()
    {
        var startedAt = _time.GetUtcNow();
        _runtime.Containers = [FakeRuntime.Replica("c1", "host-a", startedAt, (ContainerLabels.CommandAt, startedAt.ToUnixTimeMilliseconds().ToString(System.Globalization.CultureInfo.InvariantCulture)))];

        var results = await _handler.HandleAsync(Stop(startedAt + TimeSpan.FromSeconds(1)), CancellationToken.None);

        var stopped = Assert.IsType<ReplicaStopped>(Assert.Single(results));
        Assert.Equal(["web-r1-0.host-a"], _runtime.Removals);
        Assert.Null(TestKeys.Agent.Signing.PublicKey.Refusal(stopped));
    }

    private StopReplicas Stop(DateTimeOffset madeAt) =>
        TestKeys.Control.Sign(new StopReplicas(Guid.NewGuid(), Guid.NewGuid(), madeAt, "host-a", "web", 1, [0]));

    /// <summary>A command the agent must neither carry out nor answer: no result returned or reported.</summary>
    private async Task AssertIgnoredAsync(StartReplicas command)
    {
        var reported = new List<object>();

        var results = await _handler.HandleAsync(command, r => { reported.Add(r); return Task.CompletedTask; }, CancellationToken.None);

        Assert.Empty(results);
        Assert.Empty(reported);
    }

    [Fact]
    public async Task Start_MadeBeforeTheStartOfAnotherRevisionThatRunsHere_IsRefusedAsStaleWithoutTouchingTheEngine()
    {
        var now = _time.GetUtcNow();
        _runtime.Containers = [FakeRuntime.Replica("c3", "host-a", now, (ContainerLabels.Revision, "3"), (ContainerLabels.CommandAt, Ms(now)))];
        var command = Start("host-a", revision: 4, expiresAt: now + TimeSpan.FromMinutes(1)) with { Timestamp = now - TimeSpan.FromSeconds(2) };

        var results = await HandleAsync(command);

        Assert.All(results, r => Assert.Equal(
            $"stale command: made at {now - TimeSpan.FromSeconds(2):O}, before the start of revision 3 of web that runs on this host (made at {now:O})",
            r.Reason));
    }

    [Fact]
    public async Task Start_OfAnOlderRevisionMadeAfterTheNewerOneStartedHere_StartsIt()
    {
        // A rollback: revision 2 failed while one of its replicas still runs here, and revision 1 is started again.
        var now = _time.GetUtcNow();
        _runtime.Containers = [FakeRuntime.Replica("c2", "host-a", now, (ContainerLabels.Revision, "2"), (ContainerLabels.CommandAt, Ms(now - TimeSpan.FromSeconds(30))))];
        _runtime.Start = launch => new ContainerStarted($"id-{launch.Name}", [], AlreadyRunning: false);
        var command = TestKeys.Control.Sign(Start("host-a", revision: 1, expiresAt: now + TimeSpan.FromMinutes(1)));

        var results = await _handler.HandleAsync(command, _ => Task.CompletedTask, CancellationToken.None);

        Assert.All(results, r => Assert.IsType<ReplicaStarted>(r));
        Assert.Equal(["web-r1-0.host-a", "web-r1-1.host-a"], _runtime.Launches.Select(l => l.Name).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Start_OlderRevisionThanAContainerWithoutItsCommandTime_IsRefusedAsStale()
    {
        _runtime.Containers = [FakeRuntime.Replica("c3", "host-a", _time.GetUtcNow(), (ContainerLabels.Revision, "3"))];
        var command = Start("host-a", revision: 2, expiresAt: _time.GetUtcNow() + TimeSpan.FromMinutes(1));

        var results = await HandleAsync(command);

        Assert.All(results, r => Assert.StartsWith("stale command: made at ", r.Reason, StringComparison.Ordinal));
        Assert.All(results, r => Assert.EndsWith("before the start of revision 3 of web that runs on this host", r.Reason, StringComparison.Ordinal));
    }

    private static string Ms(DateTimeOffset at) => at.ToUnixTimeMilliseconds().ToString(System.Globalization.CultureInfo.InvariantCulture);

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
        var results = await _handler.HandleAsync(TestKeys.Control.Sign(command), r => { reported.Add(r); return Task.CompletedTask; }, CancellationToken.None);

        var failures = results.Select(r => Assert.IsType<ReplicaFailed>(r)).ToList();
        Assert.Equal(command.Replicas.Select(r => r.Index), failures.Select(f => f.Index));
        Assert.All(failures, f => Assert.Equal((command.CorrelationId, "host-a", "web", command.Revision), (f.CorrelationId, f.HostId, f.Name, f.Revision)));
        Assert.Equal(results, reported);
        Assert.All(failures, f => Assert.Null(TestKeys.Agent.Signing.PublicKey.Refusal(f)));
        return failures;
    }

    private StartReplicas Start(string hostId, long revision, DateTimeOffset expiresAt) =>
        new(Guid.NewGuid(), Guid.NewGuid(), _time.GetUtcNow(), hostId, revision, expiresAt, Spec, [new ReplicaAssignment(0, []), new ReplicaAssignment(1, [])]);
}
