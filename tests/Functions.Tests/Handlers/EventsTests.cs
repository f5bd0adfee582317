using Workers.Contracts.Messages;
using Workers.Functions.Tests.Support;

namespace Workers.Functions.Tests.Handlers;

/// <summary>The event history as the handlers leave it: what happened, once, with its reason, readable through Query.</summary>
public sealed class EventsTests
{
    private const string DynamicPort = "ports:\n  - container: 8080\n";

    [Fact]
    public async Task HostLostAndBack_ItsReplicaReplacedAndItsOldContainerOrphaned_EachIsOneEventWithItsReason()
    {
        await using var h = await HandlerHarness.CreateAsync();
        await h.HeartbeatAsync("host-a");
        await h.HeartbeatAsync("host-b");
        var (_, planned) = await h.DeployAsync(Specs.Make("web", 2, DynamicPort));
        await h.StartAllAsync(planned);
        var lostIndex = planned.SentOf<StartReplicas>().Single(s => s.HostId == "host-a").Command.Replicas.Single().Index;

        h.Time.Advance(h.Options.HostTimeout + TimeSpan.FromSeconds(1));
        await h.HeartbeatRunningAsync("host-b", h.RunningOn(planned, "host-b"));
        await h.Sweep.HandleAsync(CancellationToken.None);
        await h.Sweep.HandleAsync(CancellationToken.None);
        h.Time.Advance(h.Options.OrphanGrace + TimeSpan.FromSeconds(1));
        await h.HeartbeatRunningAsync("host-a", new RunningReplica("web", 1, lostIndex, "old-container", true, h.Time.GetUtcNow()));
        await h.HeartbeatRunningAsync("host-a", new RunningReplica("web", 1, lostIndex, "old-container", true, h.Time.GetUtcNow()));

        var all = (await h.Query.HandleAsync(new GetEvents(Guid.NewGuid(), Guid.NewGuid(), h.Time.GetUtcNow(), null, null, null, 1000), CancellationToken.None)).Events;
        var hostA = all.Where(e => e.HostId == "host-a" && e.Kind.StartsWith("host.", StringComparison.Ordinal)).ToList();
        Assert.Equal(["host.joined", "host.lost", "host.returned"], hostA.Select(e => e.Kind));
        Assert.Equal("no heartbeat for 31s", hostA[1].Message);
        var web = (await h.Query.HandleAsync(new GetEvents(Guid.NewGuid(), Guid.NewGuid(), h.Time.GetUtcNow(), "web", null, null, 1000), CancellationToken.None)).Events;
        var lost = Assert.Single(web, e => e.Kind == "replica.lost");
        Assert.Equal(("host-a", (int?)lostIndex), (lost.HostId, lost.Replica));
        Assert.Contains("host-a sent no heartbeat", lost.Message, StringComparison.Ordinal);
        Assert.Single(web, e => e.Kind == "replica.placed" && e.Replica == 2 && e.HostId == "host-b");
        var orphaned = Assert.Single(web, e => e.Kind == "replica.orphaned");
        Assert.Equal(("host-a", (int?)lostIndex), (orphaned.HostId, orphaned.Replica));
        Assert.Contains("the store has the replica lost", orphaned.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(web, e => e.HostId is null && e.Kind.StartsWith("replica.", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Rollout_WithAnUnhealthyNewReplica_TellsTheRollbackWithTheProbesAnswer()
    {
        await using var h = await HandlerHarness.CreateAsync();
        await h.HeartbeatAsync("host-a");
        var (_, first) = await h.DeployAsync(Specs.Make("web", 1, DynamicPort));
        await h.StartAllAsync(first);
        var (_, second) = await h.DeployAsync(Specs.Make("web", 1, DynamicPort + "env:\n  VERSION: \"2\"\n"));
        await h.ConvergeAsync(second, start => start.Revision == 2 ? ReplicaHealth.Unhealthy : ReplicaHealth.Healthy);

        var events = (await h.Query.HandleAsync(new GetEvents(Guid.NewGuid(), Guid.NewGuid(), h.Time.GetUtcNow(), "web", null, null, 1000), CancellationToken.None)).Events;

        Assert.Equal(
            ["deployment.accepted", "deployment.rollingback", "deployment.rolledback"],
            events.Where(e => e.Revision == 2 && e.Kind.StartsWith("deployment.", StringComparison.Ordinal)).Select(e => e.Kind));
        Assert.Contains("GET /healthz -> 503", events.Single(e => e.Kind == "deployment.rollingback").Message, StringComparison.Ordinal);
        Assert.Equal("GET /healthz -> 503", events.Single(e => e.Kind == "replica.unhealthy" && e.Revision == 2).Message);
        Assert.Equal(["deployment.accepted", "deployment.running"], events.Where(e => e.Revision == 1 && e.Kind.StartsWith("deployment.", StringComparison.Ordinal)).Select(e => e.Kind));
    }

    [Fact]
    public async Task Sweep_EventsOlderThanTheRetention_AreForgotten()
    {
        await using var h = await HandlerHarness.CreateAsync();
        await h.HeartbeatAsync("host-a");
        await h.DeployAsync(Specs.Make("web", 1, DynamicPort));
        var before = await h.Store.GetEventsAsync(new(), CancellationToken.None);

        h.Time.Advance(h.Options.EventRetention + TimeSpan.FromMinutes(1));
        await h.HeartbeatAsync("host-a");
        await h.Sweep.HandleAsync(CancellationToken.None);

        // What the sweep itself did this round (the replica never started: replaced, then failed) is recorded anew.
        Assert.True(before.Count >= 3, $"{before.Count} events before");
        var after = await h.Store.GetEventsAsync(new(), CancellationToken.None);
        Assert.DoesNotContain(after, e => before.Any(b => b.Sequence == e.Sequence));
        Assert.All(after, e => Assert.True(e.At >= h.Time.GetUtcNow() - h.Options.EventRetention, $"{e.Kind} at {e.At} outlived the retention"));
    }
}
