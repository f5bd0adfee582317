using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Workers.Contracts.Messages;
using Workers.HostAgent.Agent;
using Workers.HostAgent.Runtime;
using Workers.HostAgent.Tests.Support;

namespace Workers.HostAgent.Tests.Agent;

/// <summary>The monitor over an engine in memory and a fake clock; probes over real Docker are in HealthProbesTests.</summary>
public sealed class HealthMonitorTests : IDisposable
{
    private const string HostId = "host-a";
    private static readonly AgentOptions Options = new(Contracts.Spec.HostId.From(HostId), new Dictionary<string, string>(), "127.0.0.1", TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(1)) { Keys = TestKeys.Agent, ControlKeys = TestKeys.Trusted };
    private const string ExitCheck = """{"kind":"command","command":["check"],"intervalMs":1000,"timeoutMs":500,"retries":1}""";

    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2025, 1, 1, 0, 0, 0, TimeSpan.Zero));
    private readonly FakeRuntime _runtime = new();
    private readonly RecordingPublisher _publisher = RecordingPublisher.Create();
    private readonly HealthProbes _probes;
    private readonly HealthMonitor _monitor;

    public HealthMonitorTests()
    {
        _probes = new HealthProbes(_runtime, Options);
        _monitor = new HealthMonitor(_publisher.Scopes(), _runtime, _probes, Options, _time, NullLogger<HealthMonitor>.Instance);
    }

    public void Dispose()
    {
        _monitor.Dispose();
        _probes.Dispose();
    }

    [Fact]
    public async Task Track_NoCheckRunningForMinReady_PublishesHealthyOnce()
    {
        var started = _time.GetUtcNow();
        _monitor.Track(FakeRuntime.Replica("c1", HostId, started, (ContainerLabels.MinReadyMs, "5000")), started);

        _time.Advance(TimeSpan.FromSeconds(4));
        Assert.Equal(HealthVerdict.Starting, _monitor.Current("c1"));
        _time.Advance(TimeSpan.FromSeconds(1));

        // The watch runs on the thread pool and may set its timer before or after the advances above: the clock
        // moves on in small steps until it has looked.
        await Poll.UntilAsync(() => !_publisher.Published.IsEmpty, "Healthy is published", () => _time.Advance(TimeSpan.FromMilliseconds(5)));
        var changed = Assert.IsType<ReplicaHealthChanged>(Assert.Single(_publisher.Published));
        Assert.Equal(
            new ReplicaHealthChanged(changed.MessageId, Guid.Parse("6f1c2b0e-2d5e-4c4e-9a53-0d3f5e2b7a10"), changed.Timestamp, HostId, "web", 1, 0, "c1", ReplicaHealth.Healthy, null),
            changed with { Signature = null });
        Assert.Null(TestKeys.Agent.Signing.PublicKey.Refusal(changed));
        Assert.InRange(changed.Timestamp - started, TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(5.1));
        Assert.Equal(HealthVerdict.Healthy, _monitor.Current("c1"));
    }

    [Fact]
    public async Task Track_NoCheckAndTimersFiringEarly_StillTurnsHealthy()
    {
        // .NET's timers run on a coarse monotonic clock and may fire a few milliseconds before the wall clock says
        // their time is up: the replica must not stay starting for good because its one look came early.
        var early = new EarlyTimers(_time, TimeSpan.FromMilliseconds(3));
        using var monitor = new HealthMonitor(_publisher.Scopes(), _runtime, _probes, Options, early, NullLogger<HealthMonitor>.Instance);
        var started = _time.GetUtcNow();
        monitor.Track(FakeRuntime.Replica("c1", HostId, started, (ContainerLabels.MinReadyMs, "5000")), started);
        _time.Advance(TimeSpan.FromMilliseconds(4990));

        await Poll.UntilAsync(() => !_publisher.Published.IsEmpty, "Healthy is published", () => _time.Advance(TimeSpan.FromMilliseconds(1)));

        var healthy = Assert.IsType<ReplicaHealthChanged>(Assert.Single(_publisher.Published));
        Assert.Equal(ReplicaHealth.Healthy, healthy.Health);
        Assert.InRange(healthy.Timestamp - started, TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(5.1));
    }

    /// <summary>The fake clock, whose timers fire <paramref name="early"/> before they are due.</summary>
    private sealed class EarlyTimers(FakeTimeProvider clock, TimeSpan early) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => clock.GetUtcNow();

        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period) =>
            clock.CreateTimer(callback, state, dueTime > early ? dueTime - early : dueTime, period);

        public override long GetTimestamp() => clock.GetTimestamp();

        public override long TimestampFrequency => clock.TimestampFrequency;
    }

    [Fact]
    public async Task Track_CommandCheck_ProbesEveryIntervalAndPublishesEachChange()
    {
        _runtime.Exec = call => call == 1 ? new ExecResult(0, string.Empty) : new ExecResult(1, "starting\nnot ready\n\n");
        _monitor.Track(FakeRuntime.Replica("c1", HostId, _time.GetUtcNow(), (ContainerLabels.Health, ExitCheck), (ContainerLabels.MinReadyMs, "0")), _time.GetUtcNow());

        await Poll.UntilAsync(() => _publisher.Published.Count == 2, "Healthy, then Unhealthy, is published", () => _time.Advance(TimeSpan.FromSeconds(1)));

        Assert.Equal(
            [(ReplicaHealth.Healthy, null), (ReplicaHealth.Unhealthy, "exit 1: not ready")],
            _publisher.Published.Cast<ReplicaHealthChanged>().Select(c => (c.Health, c.Reason)));
        Assert.Equal(new HealthVerdict(ReplicaHealth.Unhealthy, "exit 1: not ready"), _monitor.Current("c1"));
    }

    [Fact]
    public async Task Track_PublishFails_KeepsJudgingAndPublishesTheNextChange()
    {
        _publisher.Failures = 1;
        _runtime.Exec = call => call == 1 ? new ExecResult(0, string.Empty) : new ExecResult(3, "boom");
        _monitor.Track(FakeRuntime.Replica("c1", HostId, _time.GetUtcNow(), (ContainerLabels.Health, ExitCheck), (ContainerLabels.MinReadyMs, "0")), _time.GetUtcNow());

        await Poll.UntilAsync(() => !_publisher.Published.IsEmpty, "Unhealthy is published after Healthy was not", () => _time.Advance(TimeSpan.FromSeconds(1)));

        Assert.Equal(ReplicaHealth.Healthy, Assert.IsType<ReplicaHealthChanged>(_publisher.Attempted.First()).Health);
        var published = Assert.IsType<ReplicaHealthChanged>(Assert.Single(_publisher.Published));
        Assert.Equal((ReplicaHealth.Unhealthy, "exit 3: boom"), (published.Health, published.Reason));
    }

    [Fact]
    public async Task Track_UnreadableHealthLabel_IsUnhealthySayingSo()
    {
        _monitor.Track(FakeRuntime.Replica("c1", HostId, _time.GetUtcNow(), (ContainerLabels.Health, "{\"kind\":\"grpc\"}")), _time.GetUtcNow());

        await Poll.UntilAsync(() => !_publisher.Published.IsEmpty, "Unhealthy is published");

        var verdict = _monitor.Current("c1");
        Assert.Equal(ReplicaHealth.Unhealthy, verdict.Health);
        Assert.Contains(ContainerLabels.Health, verdict.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Track_ContainerWithoutReplicaLabels_IsNotWatched()
    {
        var stranger = new ManagedContainer("c9", "stranger", new Dictionary<string, string> { [ContainerLabels.Host] = HostId }, true, "running", [], _time.GetUtcNow());

        _monitor.Track(stranger, _time.GetUtcNow());
        _time.Advance(TimeSpan.FromMinutes(1));

        Assert.Equal(HealthVerdict.Starting, _monitor.Current("c9"));
        Assert.Empty(_publisher.Attempted);
    }

    [Fact]
    public async Task Forget_WatchedContainer_ForgetsItsVerdict()
    {
        _monitor.Track(FakeRuntime.Replica("c1", HostId, _time.GetUtcNow(), (ContainerLabels.MinReadyMs, "0")), _time.GetUtcNow());
        await Poll.UntilAsync(() => _monitor.Current("c1") == HealthVerdict.Healthy, "c1 is healthy");

        _monitor.Forget("c1");

        Assert.Equal(HealthVerdict.Starting, _monitor.Current("c1"));
    }

    [Fact]
    public async Task Start_ListsThisHostsContainers_WatchesThemAndForgetsThoseThatStop()
    {
        _runtime.Containers =
        [
            FakeRuntime.Replica("c1", HostId, _time.GetUtcNow(), (ContainerLabels.MinReadyMs, "0")),
            FakeRuntime.Replica("other", "host-b", _time.GetUtcNow(), (ContainerLabels.MinReadyMs, "0")),
        ];
        await _monitor.StartAsync(CancellationToken.None);
        try
        {
            await Poll.UntilAsync(() => _monitor.Current("c1") == HealthVerdict.Healthy, "c1 is found and healthy");
            Assert.Equal(HealthVerdict.Starting, _monitor.Current("other"));

            _runtime.Containers = [_runtime.Containers[0] with { Running = false, State = "exited" }];

            await Poll.UntilAsync(() => _monitor.Current("c1") == HealthVerdict.Starting, "c1 is forgotten", () => _time.Advance(Options.HeartbeatInterval));
        }
        finally
        {
            await _monitor.StopAsync(CancellationToken.None);
        }
    }
}
