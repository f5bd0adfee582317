using Workers.Contracts.Messages;
using Workers.Functions.Tests.Support;

namespace Workers.Functions.Tests.Handlers;

/// <summary>Deadlines and reconciliation: lost hosts, late results, stuck stops, orphans and exited containers.</summary>
public sealed class RecoveryTests
{
    private const string DynamicPort = "ports:\n  - container: 8080\n";
    private const string FixedPort = "ports:\n  - container: 8080\n    host: 18080\n";

    [Fact]
    public async Task Sweep_HostSilentPastHostTimeout_ReplacesItsReplicaOnAnotherHost()
    {
        await using var h = await HandlerHarness.CreateAsync();
        await h.HeartbeatAsync("host-a");
        await h.HeartbeatAsync("host-b");
        var (id, planned) = await h.DeployAsync(Specs.Make("web", 2, DynamicPort));
        await h.StartAllAsync(planned);

        h.Time.Advance(h.Options.HostTimeout + TimeSpan.FromSeconds(1));
        await h.HeartbeatRunningAsync("host-b", h.RunningOn(planned, "host-b"));
        var effects = await h.Sweep.HandleAsync(CancellationToken.None);
        var (hostId, start) = Assert.Single(effects.SentOf<StartReplicas>());
        Assert.Equal("host-b", hostId);
        Assert.Equal([2], start.Replicas.Select(r => r.Index));
        var replicas = await h.Store.GetReplicasAsync(id, CancellationToken.None);
        var lost = Assert.Single(replicas, r => r.State == ReplicaState.Lost);
        Assert.Equal("host-a", lost.HostId);
        Assert.Contains("host-a sent no heartbeat", lost.Reason, StringComparison.Ordinal);

        // A second sweep places nothing twice.
        Assert.Empty((await h.Sweep.HandleAsync(CancellationToken.None)).Sent);
    }

    [Fact]
    public async Task Sweep_RunningRevisionLosesAReplicaNoHostCanTake_StaysUpShortOfItAndPlacesItOnceAHostCan()
    {
        await using var h = await HandlerHarness.CreateAsync();
        await h.HeartbeatAsync("host-a");
        await h.HeartbeatAsync("host-b");
        var (id, planned) = await h.DeployAsync(Specs.Make("web", 2, FixedPort));
        await h.StartAllAsync(planned);
        Assert.Equal(DeploymentState.Running, (await h.Store.GetRevisionAsync(id, CancellationToken.None))!.State);

        h.Time.Advance(h.Options.HostTimeout + TimeSpan.FromSeconds(1));
        await h.HeartbeatRunningAsync("host-b", h.RunningOn(planned, "host-b"));
        var effects = await h.Sweep.HandleAsync(CancellationToken.None);

        // host-b holds the fixed port already: nothing can take the lost replica, and nothing that serves is stopped.
        Assert.Empty(effects.PublishedOf<DeploymentFailed>());
        Assert.Empty(effects.Sent);
        Assert.Equal(DeploymentState.Running, (await h.Store.GetRevisionAsync(id, CancellationToken.None))!.State);
        var lost = Assert.Single(await h.Store.GetReplicasAsync(id, CancellationToken.None), r => r.State == ReplicaState.Lost);
        Assert.Contains("host-a sent no heartbeat", lost.Reason, StringComparison.Ordinal);

        // A host that can take it joins: the next round places it there.
        await h.HeartbeatAsync("host-c");
        await h.HeartbeatRunningAsync("host-b", h.RunningOn(planned, "host-b"));
        var later = await h.Sweep.HandleAsync(CancellationToken.None);

        Assert.Equal("host-c", Assert.Single(later.SentOf<StartReplicas>()).HostId);
    }

    [Fact]
    public async Task Sweep_DeploymentStillPendingLosesAReplicaNoHostCanTake_FailsWithTheReason()
    {
        await using var h = await HandlerHarness.CreateAsync();
        await h.HeartbeatAsync("host-a");
        await h.HeartbeatAsync("host-b");
        var (id, planned) = await h.DeployAsync(Specs.Make("web", 2, FixedPort));
        var onB = planned.SentOf<StartReplicas>().Single(s => s.HostId == "host-b").Command;
        await h.Track.HandleAsync(h.Started(onB, onB.Replicas[0].Index), CancellationToken.None);

        h.Time.Advance(h.Options.HostTimeout + TimeSpan.FromSeconds(1));
        await h.HeartbeatRunningAsync("host-b", h.RunningOn(planned, "host-b"));
        var effects = await h.Sweep.HandleAsync(CancellationToken.None);

        var failed = Assert.Single(effects.PublishedOf<DeploymentFailed>());
        Assert.Equal(id, failed.CorrelationId);
        Assert.Contains("host-a sent no heartbeat", failed.Reason, StringComparison.Ordinal);
        Assert.Contains("host-b: host port 18080/tcp in use", failed.Reason, StringComparison.Ordinal);
        Assert.Equal("host-b", Assert.Single(effects.SentOf<StopReplicas>()).HostId);
    }

    [Fact]
    public async Task Sweep_NoResultBeforeStartDeadline_PlacesAReplacementUnderANewIndex()
    {
        await using var h = await HandlerHarness.CreateAsync();
        await h.HeartbeatAsync("host-a");
        await h.HeartbeatAsync("host-b");
        var (id, planned) = await h.DeployAsync(Specs.Make("web", 1, DynamicPort));
        Assert.Single(planned.SentOf<StartReplicas>());

        h.Time.Advance(h.Options.StartDeadline + TimeSpan.FromSeconds(1));
        await h.HeartbeatAsync("host-a");
        await h.HeartbeatAsync("host-b");
        var effects = await h.Sweep.HandleAsync(CancellationToken.None);

        var (_, start) = Assert.Single(effects.SentOf<StartReplicas>());
        Assert.Equal([1], start.Replicas.Select(r => r.Index));
        Assert.Contains("within", (await h.Store.GetReplicasAsync(id, CancellationToken.None)).Single(r => r.Index == 0).Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Sweep_NoResultBeforeStartDeadline_ReplacementOnTheSameLiveHostTakesAnotherHostPort()
    {
        // The late start may still come up on its host (fault suite seed 2094761193: f1193-12 #5 started there after
        // its deadline, and its replacement #6, drawn the same port for the same name, was refused by the engine).
        await using var h = await HandlerHarness.CreateAsync();
        await h.HeartbeatAsync("host-a");
        var (_, planned) = await h.DeployAsync(Specs.Make("web", 1, DynamicPort));
        var (_, first) = Assert.Single(planned.SentOf<StartReplicas>());

        h.Time.Advance(h.Options.StartDeadline + TimeSpan.FromSeconds(1));
        await h.HeartbeatAsync("host-a");
        var effects = await h.Sweep.HandleAsync(CancellationToken.None);

        var (host, start) = Assert.Single(effects.SentOf<StartReplicas>());
        Assert.Equal("host-a", host);
        var late = Assert.Single(Assert.Single(first.Replicas).Ports).HostPort;
        Assert.NotEqual(late, Assert.Single(Assert.Single(start.Replicas).Ports).HostPort);
    }

    [Fact]
    public async Task Sweep_DeletionWhoseHostWentSilent_FinishesAndPublishesDeleted()
    {
        await using var h = await HandlerHarness.CreateAsync();
        await h.HeartbeatAsync("host-a");
        var (_, planned) = await h.DeployAsync(Specs.Make("web", 1, DynamicPort));
        await h.StartAllAsync(planned);
        await h.Delete.HandleAsync(new DeleteDeployment(Guid.NewGuid(), Guid.NewGuid(), h.Time.GetUtcNow(), "web", "tester"), CancellationToken.None);

        h.Time.Advance(h.Options.HostTimeout + TimeSpan.FromSeconds(1));
        var effects = await h.Sweep.HandleAsync(CancellationToken.None);

        Assert.Equal("web", Assert.Single(effects.PublishedOf<DeploymentDeleted>()).Name);
        Assert.Empty(await h.Store.GetCurrentRevisionsAsync("web", CancellationToken.None));
    }

    [Fact]
    public async Task Heartbeat_ContainerNoRevisionOwnsPastTheGrace_IsAnnouncedAsOrphanAndStopped()
    {
        await using var h = await HandlerHarness.CreateAsync();
        var created = h.Time.GetUtcNow() - h.Options.OrphanGrace - TimeSpan.FromSeconds(1);

        var effects = await h.HeartbeatRunningAsync("host-a", new RunningReplica("ghost", 3, 0, "abc", true, created));

        var orphan = Assert.Single(effects.PublishedOf<ReplicaOrphaned>());
        Assert.Equal(("ghost", 3L, 0, "abc"), (orphan.Name, orphan.Revision, orphan.Index, orphan.ContainerId));
        var (hostId, stop) = Assert.Single(effects.SentOf<StopReplicas>());
        Assert.Equal(("host-a", "ghost", 3L, 0), (hostId, stop.Name, stop.Revision, stop.Indexes.Single()));
    }

    [Fact]
    public async Task Heartbeat_OrphanStillShownByLaterHeartbeats_IsStoppedAgainOnlyOncePerGrace()
    {
        await using var h = await HandlerHarness.CreateAsync();
        var created = h.Time.GetUtcNow() - h.Options.OrphanGrace - TimeSpan.FromSeconds(1);
        var ghost = new RunningReplica("ghost", 3, 0, "abc", true, created);
        var stops = new List<int>();

        // A host whose queue is behind keeps showing the container while its first stop waits there.
        for (var beat = 0; beat < 5; beat++)
        {
            stops.Add((await h.HeartbeatRunningAsync("host-a", ghost)).SentOf<StopReplicas>().Count());
            h.Time.Advance(TimeSpan.FromSeconds(1));
        }

        h.Time.Advance(h.Options.OrphanGrace);
        var later = await h.HeartbeatRunningAsync("host-a", ghost);

        Assert.Equal([1, 0, 0, 0, 0], stops);
        Assert.Single(later.SentOf<StopReplicas>());
    }

    [Fact]
    public async Task Heartbeat_UnknownContainerWithinTheGrace_IsLeftAlone()
    {
        await using var h = await HandlerHarness.CreateAsync();

        var effects = await h.HeartbeatRunningAsync("host-a", new RunningReplica("ghost", 3, 0, "abc", true, h.Time.GetUtcNow()));

        Assert.Empty(effects.Published);
        Assert.Empty(effects.Sent);
    }

    [Fact]
    public async Task Heartbeat_RunningReplicaWhoseContainerExited_IsReplaced()
    {
        await using var h = await HandlerHarness.CreateAsync();
        await h.HeartbeatAsync("host-a");
        await h.HeartbeatAsync("host-b");
        var (id, planned) = await h.DeployAsync(Specs.Make("web", 1, DynamicPort));
        await h.StartAllAsync(planned);
        var host = Assert.Single(planned.SentOf<StartReplicas>()).HostId;

        var effects = await h.HeartbeatRunningAsync(host, new RunningReplica("web", 1, 0, "container-1-0", false, h.Time.GetUtcNow()));

        var (_, start) = Assert.Single(effects.SentOf<StartReplicas>());
        Assert.Equal([1], start.Replicas.Select(r => r.Index));
        var lost = (await h.Store.GetReplicasAsync(id, CancellationToken.None)).Single(r => r.Index == 0);
        Assert.Equal(ReplicaState.Lost, lost.State);
        Assert.Contains("exited", lost.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Heartbeat_ContainerOfAReplacedReplica_IsStoppedAfterTheGrace()
    {
        await using var h = await HandlerHarness.CreateAsync();
        await h.HeartbeatAsync("host-a");
        await h.HeartbeatAsync("host-b");
        var (_, planned) = await h.DeployAsync(Specs.Make("web", 2, DynamicPort));
        await h.StartAllAsync(planned);
        h.Time.Advance(h.Options.HostTimeout + TimeSpan.FromSeconds(1));
        await h.HeartbeatRunningAsync("host-b", h.RunningOn(planned, "host-b"));
        await h.Sweep.HandleAsync(CancellationToken.None);

        // host-a comes back, still running the replica that now runs elsewhere.
        h.Time.Advance(h.Options.OrphanGrace + TimeSpan.FromSeconds(1));
        var lostIndex = planned.SentOf<StartReplicas>().Single(s => s.HostId == "host-a").Command.Replicas.Single().Index;
        var effects = await h.HeartbeatRunningAsync("host-a", new RunningReplica("web", 1, lostIndex, "old", true, h.Time.GetUtcNow()));

        Assert.Single(effects.PublishedOf<ReplicaOrphaned>());
        Assert.Equal(lostIndex, Assert.Single(effects.SentOf<StopReplicas>()).Command.Indexes.Single());
    }

    [Fact]
    public async Task Sweep_EveryHostSilentAtOnce_DeclaresNoneDownAndReplacesNothing()
    {
        await using var h = await HandlerHarness.CreateAsync();
        await h.HeartbeatAsync("host-a");
        await h.HeartbeatAsync("host-b");
        var (id, planned) = await h.DeployAsync(Specs.Make("web", 2, DynamicPort));
        await h.StartAllAsync(planned);

        // No heartbeat from anyone (a broker restart): the silence is the broker's, not every host's.
        h.Time.Advance(h.Options.HostTimeout + TimeSpan.FromSeconds(1));
        var effects = await h.Sweep.HandleAsync(CancellationToken.None);

        Assert.Empty(effects.Sent);
        Assert.Empty(effects.Published);
        Assert.All(await h.Store.GetReplicasAsync(id, CancellationToken.None), r => Assert.Equal(ReplicaState.Running, r.State));
        Assert.Equal(DeploymentState.Running, (await h.Store.GetRevisionAsync(id, CancellationToken.None))!.State);
    }

    [Fact]
    public async Task Sweep_InventoryBehindTheHeartbeats_DeclaresNoHostDownWhoseBeatsKeepUpWithTheOthers()
    {
        await using var h = await HandlerHarness.CreateAsync();
        await h.HeartbeatAsync("host-a");
        await h.HeartbeatAsync("host-b");
        var (id, planned) = await h.DeployAsync(Specs.Make("web", 2, DynamicPort));
        await h.StartAllAsync(planned);
        var started = h.Time.GetUtcNow();

        // The inventory consumer fell behind: past the host timeout, the newest heartbeat it has processed was taken
        // 3 s after host-a's last one. host-a's later beats are still queued, not missing.
        h.Time.Advance(h.Options.HostTimeout + TimeSpan.FromSeconds(1));
        await h.HeartbeatTakenAtAsync("host-b", started + TimeSpan.FromSeconds(3), h.RunningOn(planned, "host-b"));
        var behind = await h.Sweep.HandleAsync(CancellationToken.None);

        Assert.Empty(behind.Sent);
        Assert.All(await h.Store.GetReplicasAsync(id, CancellationToken.None), r => Assert.Equal(ReplicaState.Running, r.State));
        Assert.All((await h.Query.HandleAsync(new GetHosts(Guid.NewGuid(), Guid.NewGuid(), h.Time.GetUtcNow()), CancellationToken.None)).Hosts, host => Assert.True(host.Live, host.HostId));

        // Once the others' processed beats are a host timeout past host-a's, host-a is down and its replica replaced.
        await h.HeartbeatTakenAtAsync("host-b", h.Time.GetUtcNow(), h.RunningOn(planned, "host-b"));
        var caughtUp = await h.Sweep.HandleAsync(CancellationToken.None);

        Assert.Equal("host-b", Assert.Single(caughtUp.SentOf<StartReplicas>()).HostId);
        Assert.Equal("host-a", Assert.Single(await h.Store.GetReplicasAsync(id, CancellationToken.None), r => r.State == ReplicaState.Lost).HostId);
    }

    [Fact]
    public async Task Sweep_ReplicaMarkedLostButNeverReplaced_PlacesItsReplacement()
    {
        await using var h = await HandlerHarness.CreateAsync();
        await h.HeartbeatAsync("host-a");
        await h.HeartbeatAsync("host-b");
        var (id, planned) = await h.DeployAsync(Specs.Make("web", 2, DynamicPort));
        await h.StartAllAsync(planned);

        // A writer marked the replica lost and then died (or lost a port race) before placing its replacement.
        await h.Store.UpdateReplicaAsync(id, 0, ReplicaState.Lost, null, null, "its container vanished", h.Time.GetUtcNow(), CancellationToken.None);
        var effects = await h.Sweep.HandleAsync(CancellationToken.None);
        var again = await h.Sweep.HandleAsync(CancellationToken.None);

        var replacement = Assert.Single(effects.SentOf<StartReplicas>()).Command;
        Assert.Equal(2, Assert.Single(replacement.Replicas).Index);
        Assert.Empty(again.Sent);
        Assert.Equal(3, (await h.Store.GetReplicasAsync(id, CancellationToken.None)).Count);
    }

    [Fact]
    public async Task Sweep_EveryReplicaLostAndNoneReplaced_PlacesAllOfThemAgain()
    {
        await using var h = await HandlerHarness.CreateAsync();
        await h.HeartbeatAsync("host-a");
        await h.HeartbeatAsync("host-b");
        var (id, planned) = await h.DeployAsync(Specs.Make("web", 2, DynamicPort));
        await h.StartAllAsync(planned);

        foreach (var index in new[] { 0, 1 })
        {
            await h.Store.UpdateReplicaAsync(id, index, ReplicaState.Lost, null, null, "its container vanished", h.Time.GetUtcNow(), CancellationToken.None);
        }

        var effects = await h.Sweep.HandleAsync(CancellationToken.None);

        Assert.Equal([2, 3], effects.SentOf<StartReplicas>().SelectMany(s => s.Command.Replicas.Select(r => r.Index)).Order());
        Assert.Equal(DeploymentState.Running, (await h.Store.GetRevisionAsync(id, CancellationToken.None))!.State);
    }

    [Fact]
    public async Task Sweep_AfterARound_NamesTheMomentTheFirstLiveHostRunsOutOfTime()
    {
        await using var h = await HandlerHarness.CreateAsync();
        var first = h.Time.GetUtcNow();
        await h.HeartbeatAsync("host-a");
        h.Time.Advance(TimeSpan.FromSeconds(10));
        await h.HeartbeatAsync("host-b");

        await h.Sweep.HandleAsync(CancellationToken.None);
        Assert.Equal(first + h.Options.HostTimeout, h.Sweep.NextHostDeadline);

        // host-a has run out of time; host-b is next.
        h.Time.Advance(h.Options.HostTimeout - TimeSpan.FromSeconds(5));
        await h.Sweep.HandleAsync(CancellationToken.None);
        Assert.Equal(first + TimeSpan.FromSeconds(10) + h.Options.HostTimeout, h.Sweep.NextHostDeadline);

        h.Time.Advance(TimeSpan.FromMinutes(1));
        await h.Sweep.HandleAsync(CancellationToken.None);
        Assert.Null(h.Sweep.NextHostDeadline);
    }
}
