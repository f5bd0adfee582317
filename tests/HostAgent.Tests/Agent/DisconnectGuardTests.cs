using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Workers.Contracts.Messages;
using Workers.HostAgent.Agent;
using Workers.HostAgent.Runtime;
using Workers.HostAgent.Tests.Support;

namespace Workers.HostAgent.Tests.Agent;

/// <summary>
/// The heartbeats and the guard together, over an engine in memory, a publisher that refuses while the broker is "out
/// of reach", and a fake clock: heartbeats every second, replicas stopped after ten seconds without one getting through.
/// </summary>
public sealed class DisconnectGuardTests : IAsyncLifetime
{
    private const string HostId = "host-a";
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan StopAfter = TimeSpan.FromSeconds(10);
    private static readonly ListeningPorts NoPorts = new("/nonexistent/workers-test/proc");

    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2025, 1, 1, 0, 0, 0, TimeSpan.Zero));
    private readonly FakeRuntime _runtime = new();
    private readonly RecordingPublisher _publisher = RecordingPublisher.Create();
    private readonly List<IDisposable> _owned = [];
    private DisconnectGuard _guard = null!;
    private HeartbeatService _heartbeats = null!;

    public DisconnectGuardTests()
    {
        var now = _time.GetUtcNow();
        _runtime.Containers =
        [
            Replica("a0", HostId, 0),
            Replica("a1", HostId, 1),
            Replica("a2", HostId, 2) with { Running = false, State = "exited" },
            Replica("b0", "host-b", 0),
            new ManagedContainer("x", "not-a-replica", new Dictionary<string, string> { [ContainerLabels.Host] = HostId }, true, "running", [], now),
        ];
    }

    private static Guid DeploymentId { get; } = Guid.Parse("6f1c2b0e-2d5e-4c4e-9a53-0d3f5e2b7a10");

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        if (_heartbeats is not null)
        {
            await _heartbeats.StopAsync(stop.Token);
            await _guard.StopAsync(stop.Token);
        }

        foreach (var owned in _owned)
        {
            owned.Dispose();
        }
    }

    [Fact]
    public async Task Guard_PublishesFailForLessThanTheSetting_StopsNothing()
    {
        await StartAsync(StopAfter);
        await ReachedOnceAsync();
        _publisher.FailWhen = _ => true;

        await BeatAsync(9);

        Assert.Empty(_runtime.Stops);
        Assert.All(_runtime.Containers.Where(c => c.Id is "a0" or "a1" or "b0" or "x"), c => Assert.True(c.Running));
    }

    [Fact]
    public async Task Guard_PublishesFailForLongerThanTheSetting_StopsEveryRunningReplicaOfThisHostOnce()
    {
        await StartAsync(StopAfter);
        await ReachedOnceAsync();
        _publisher.FailWhen = _ => true;

        await BeatAsync(11);
        await Poll.UntilAsync(() => _runtime.Stops.Count == 2, "both running replicas of host-a are stopped");
        await BeatAsync(5);

        Assert.Equal(["a0", "a1"], _runtime.Stops.Order(StringComparer.Ordinal));
        Assert.Equal(["a0", "a1"], _guard.StoppedForPartition.Order(StringComparer.Ordinal));
        Assert.True(_runtime.Containers.Single(c => c.Id == "b0").Running, "another host's replica keeps running");
        Assert.True(_runtime.Containers.Single(c => c.Id == "x").Running, "a container that is no replica is left alone");
        Assert.Empty(_runtime.Removals);
        Assert.DoesNotContain(_publisher.Published, m => m is ReplicaStopped);
    }

    [Fact]
    public async Task Guard_BrokerReachedAgain_PublishesReplicaStoppedPerStoppedReplicaAndRemovesThem()
    {
        await StartAsync(StopAfter);
        await ReachedOnceAsync();
        _publisher.FailWhen = _ => true;
        await BeatAsync(11);
        await Poll.UntilAsync(() => _runtime.Stops.Count == 2, "both running replicas of host-a are stopped");
        var healedAt = _time.GetUtcNow();

        _publisher.FailWhen = null;
        await Poll.UntilAsync(() => _runtime.Removals.Count == 2, "both stopped replicas are removed", () => _time.Advance(Interval));

        var stopped = _publisher.Published.OfType<ReplicaStopped>().OrderBy(s => s.Index).ToList();
        Assert.Equal(
            [(DeploymentId, HostId, "web", 1L, 0), (DeploymentId, HostId, "web", 1L, 1)],
            stopped.Select(s => (s.CorrelationId, s.HostId, s.Name, s.Revision, s.Index)));
        Assert.All(stopped, s => Assert.True(s.Timestamp > healedAt));
        Assert.Equal(["a0", "a1"], _runtime.Removals.Order(StringComparer.Ordinal));
        Assert.Equal(["a2", "b0", "x"], _runtime.Containers.Select(c => c.Id).Order(StringComparer.Ordinal));
        Assert.Empty(_guard.StoppedForPartition);
        Assert.True(_publisher.Published.OfType<HostHeartbeat>().Last().Timestamp >= healedAt, "heartbeats went on");
        Assert.Equal(2, _runtime.Stops.Count);
    }

    [Fact]
    public async Task Guard_ReportRefused_KeepsTheContainerAndReportsAtTheNextHeartbeat()
    {
        await StartAsync(StopAfter);
        await ReachedOnceAsync();
        _publisher.FailWhen = _ => true;
        await BeatAsync(11);
        await Poll.UntilAsync(() => _runtime.Stops.Count == 2, "both running replicas of host-a are stopped");

        _publisher.FailWhen = m => m is ReplicaStopped;
        await Poll.UntilAsync(() => _publisher.Attempted.OfType<ReplicaStopped>().Any(), "a report is attempted", () => _time.Advance(Interval));
        Assert.Empty(_runtime.Removals);
        Assert.Equal(2, _runtime.Containers.Count(c => c.Id is "a0" or "a1"));

        _publisher.FailWhen = null;
        await Poll.UntilAsync(() => _runtime.Removals.Count == 2, "both stopped replicas are reported and removed", () => _time.Advance(Interval));

        Assert.Equal([0, 1], _publisher.Published.OfType<ReplicaStopped>().Select(s => s.Index).Order());
    }

    [Fact]
    public async Task Guard_ReplicaStartedWhileCutOff_IsStoppedToo()
    {
        await StartAsync(StopAfter);
        await ReachedOnceAsync();
        _publisher.FailWhen = _ => true;
        await BeatAsync(11);
        await Poll.UntilAsync(() => _runtime.Stops.Count == 2, "both running replicas of host-a are stopped");

        _runtime.Containers = [.. _runtime.Containers, Replica("a3", HostId, 3)];
        await Poll.UntilAsync(() => _runtime.Stops.Count == 3, "the late replica is stopped", () => _time.Advance(Interval));

        Assert.Equal(["a0", "a1", "a3"], _runtime.Stops.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Guard_Off_NeverStops()
    {
        await StartAsync(stopAfter: null);
        await ReachedOnceAsync();
        _publisher.FailWhen = _ => true;

        var checks = _guard.Checks;
        for (var i = 0; i < 60; i++)
        {
            var attempts = _publisher.Attempted.Count;
            _time.Advance(Interval);
            await Poll.UntilAsync(() => _publisher.Attempted.Count > attempts, $"heartbeat {i} is attempted");
        }

        Assert.Empty(_runtime.Stops);
        Assert.Equal(0, checks);
        Assert.Equal(0, _guard.Checks);
    }

    [Fact]
    public async Task Guard_ClockJumpsPastTheSettingWithoutAFailedHeartbeat_StopsNothingUntilOneFails()
    {
        // A suspended process wakes to a long silence: only a heartbeat that then fails turns it into a stop.
        await StartAsync(StopAfter, heartbeats: false);
        _guard.Reached();
        var checks = _guard.Checks;

        _time.Advance(StopAfter * 3);
        await Poll.UntilAsync(() => _guard.Checks > checks, "the guard checks at its deadline");
        Assert.Empty(_runtime.Stops);

        _guard.Missed();
        await Poll.UntilAsync(() => _runtime.Stops.Count == 2, "both running replicas of host-a are stopped");
    }

    private async Task StartAsync(TimeSpan? stopAfter, bool heartbeats = true)
    {
        var options = new AgentOptions(Contracts.Spec.HostId.From(HostId), new Dictionary<string, string>(), "127.0.0.1", Interval, TimeSpan.FromSeconds(1))
        {
            Keys = TestKeys.Agent,
            ControlKeys = TestKeys.Trusted,
            DisconnectStopAfter = stopAfter,
        };
        var scopes = _publisher.Scopes();
        var probes = new HealthProbes(_runtime, options);
        var health = new HealthMonitor(scopes, _runtime, probes, options, _time, NullLogger<HealthMonitor>.Instance);
        _guard = new DisconnectGuard(scopes, _runtime, options, _time, NullLogger<DisconnectGuard>.Instance);
        _heartbeats = new HeartbeatService(scopes, _runtime, NoPorts, health, _guard, options, _time, NullLogger<HeartbeatService>.Instance);
        _owned.AddRange([probes, health, _guard, _heartbeats]);
        await _guard.StartAsync(CancellationToken.None);
        if (heartbeats)
        {
            await _heartbeats.StartAsync(CancellationToken.None);
        }
    }

    /// <summary>Until the first heartbeat (published at start) got through.</summary>
    private Task ReachedOnceAsync() =>
        Poll.UntilAsync(() => _publisher.Published.OfType<HostHeartbeat>().Any(), "the first heartbeat is published");

    /// <summary>
    /// Moves the clock <paramref name="seconds"/> heartbeats on, each time until that heartbeat was attempted and the
    /// guard has looked at the outcome.
    /// </summary>
    private async Task BeatAsync(int seconds)
    {
        for (var i = 0; i < seconds; i++)
        {
            var (attempts, checks) = (_publisher.Attempted.Count, _guard.Checks);
            _time.Advance(Interval);
            await Poll.UntilAsync(() => _publisher.Attempted.Count > attempts && _guard.Checks > checks, $"heartbeat {i + 1} is attempted and checked");
        }
    }

    private ManagedContainer Replica(string id, string hostId, int index) =>
        FakeRuntime.Replica(id, hostId, _time.GetUtcNow(), (ContainerLabels.Replica, index.ToString(System.Globalization.CultureInfo.InvariantCulture)));
}
