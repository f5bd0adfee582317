using Workers.Contracts.Messages;
using Workers.Functions.Handlers;
using Workers.Functions.Tests.Support;

namespace Workers.Functions.Tests.Handlers;

/// <summary>Health reports and rolling updates as Track, the planner and the sweep carry them out, on a real (SQLite) store.</summary>
public sealed class RolloutTests
{
    private const string Version2 = "env:\n  VERSION: \"2\"\n";

    [Fact]
    public async Task ReplicaHealthChanged_EveryReplicaHealthy_PublishesDeploymentSucceededOnce()
    {
        await using var h = await HandlerHarness.CreateAsync();
        await h.HeartbeatAsync("host-a");
        await h.HeartbeatAsync("host-b");
        var (id, planned) = await h.DeployAsync(Specs.Make("web", 2));
        var starts = planned.SentOf<StartReplicas>().Select(s => s.Command).ToList();

        var started = new List<Effects>();
        foreach (var start in starts)
        {
            started.Add(await h.Track.HandleAsync(h.Started(start, start.Replicas[0].Index), CancellationToken.None));
        }

        // Started is not running: only healthy replicas make a revision run.
        Assert.All(started, e => Assert.Empty(e.Published));
        Assert.Equal(DeploymentState.Pending, (await h.Store.GetRevisionAsync(id, CancellationToken.None))!.State);

        var first = await h.Track.HandleAsync(h.Health(starts[0], starts[0].Replicas[0].Index, ReplicaHealth.Healthy), CancellationToken.None);
        var last = await h.Track.HandleAsync(h.Health(starts[1], starts[1].Replicas[0].Index, ReplicaHealth.Healthy), CancellationToken.None);
        await last.CompleteAsync(CancellationToken.None);
        var duplicate = await h.Track.HandleAsync(h.Health(starts[1], starts[1].Replicas[0].Index, ReplicaHealth.Healthy), CancellationToken.None);

        Assert.Empty(first.Published);
        Assert.Empty(first.Sent);
        var succeeded = Assert.IsType<DeploymentSucceeded>(Assert.Single(last.Published));
        Assert.Equal((id, "web", 1L), (succeeded.CorrelationId, succeeded.Name, succeeded.Revision));
        Assert.Empty(last.Sent);
        Assert.Empty(duplicate.Published);
        Assert.Empty(duplicate.Sent);
        Assert.Equal(DeploymentState.Running, (await h.Store.GetRevisionAsync(id, CancellationToken.None))!.State);
    }

    [Fact]
    public async Task ReplicaHealthChanged_UnhealthyOnTheFirstDeployment_FailsItWithTheProbesAnswerAndStopsIt()
    {
        await using var h = await HandlerHarness.CreateAsync();
        await h.HeartbeatAsync("host-a");
        var (id, planned) = await h.DeployAsync(Specs.Make("web", 1));
        var start = planned.SentOf<StartReplicas>().Single().Command;
        await h.Track.HandleAsync(h.Started(start, 0), CancellationToken.None);

        var effects = await h.Track.HandleAsync(h.Health(start, 0, ReplicaHealth.Unhealthy, "GET /does-not-exist -> 404"), CancellationToken.None);

        var failed = Assert.IsType<DeploymentFailed>(Assert.Single(effects.Published));
        Assert.Equal("replica 0 on host-a is unhealthy: GET /does-not-exist -> 404", failed.Reason);
        Assert.Equal([0], Assert.Single(effects.SentOf<StopReplicas>()).Command.Indexes);
        var replica = Assert.Single(await h.Store.GetReplicasAsync(id, CancellationToken.None));
        Assert.Equal((ReplicaState.Stopping, ReplicaHealth.Unhealthy, "GET /does-not-exist -> 404"), (replica.State, replica.Health, replica.Reason));
    }

    [Fact]
    public async Task ReplicaHealthChanged_UnhealthyInARunningRevision_GivesTheReplicaUpAndTheSweepReplacesIt()
    {
        await using var h = await HandlerHarness.CreateAsync();
        await h.HeartbeatAsync("host-a");
        var (id, planned) = await h.DeployAsync(Specs.Make("web", 1));
        await h.StartAllAsync(planned);
        var start = planned.SentOf<StartReplicas>().Single().Command;

        var effects = await h.Track.HandleAsync(h.Health(start, 0, ReplicaHealth.Unhealthy, "connect 127.0.0.1:20000: connection refused"), CancellationToken.None);

        Assert.Empty(effects.Published);
        var stop = Assert.Single(effects.SentOf<StopReplicas>());
        Assert.Equal(("host-a", 0), (stop.HostId, Assert.Single(stop.Command.Indexes)));
        Assert.Equal(DeploymentState.Running, (await h.Store.GetRevisionAsync(id, CancellationToken.None))!.State);
        await h.Track.HandleAsync(h.Stopped(stop.Command, 0), CancellationToken.None);

        var swept = await h.Sweep.HandleAsync(CancellationToken.None);

        Assert.Equal([1], Assert.Single(swept.SentOf<StartReplicas>()).Command.Replicas.Select(r => r.Index));
        var replaced = (await h.Store.GetReplicasAsync(id, CancellationToken.None)).Single(r => r.Index == 0);
        Assert.Equal((ReplicaState.Stopped, "connect 127.0.0.1:20000: connection refused"), (replaced.State, replaced.Reason));
    }

    [Fact]
    public void UnhealthyBackOff_GrowsFromNothingToFiveMinutes()
    {
        Assert.Equal(TimeSpan.Zero, SweepHandler.UnhealthyBackOff(1));
        Assert.Equal(TimeSpan.FromSeconds(10), SweepHandler.UnhealthyBackOff(2));
        Assert.Equal(TimeSpan.FromSeconds(20), SweepHandler.UnhealthyBackOff(3));
        Assert.Equal(TimeSpan.FromMinutes(5), SweepHandler.UnhealthyBackOff(50));
    }

    [Fact]
    public async Task Sweep_ReplicasKeepTurningUnhealthy_ReplacesThemEverMoreSlowly()
    {
        await using var h = await HandlerHarness.CreateAsync();
        await h.HeartbeatAsync("host-a");
        var (id, planned) = await h.DeployAsync(Specs.Make("web", 1));
        await h.StartAllAsync(planned);
        var start = planned.SentOf<StartReplicas>().Single().Command;
        for (var index = 0; index < 2; index++)
        {
            // Replica `index` turns unhealthy and is stopped; the sweep places the next one at once the first time.
            var command = start with { Replicas = [start.Replicas[0] with { Index = index }] };
            var stop = Assert.Single((await h.Track.HandleAsync(h.Health(command, index, ReplicaHealth.Unhealthy, "exit 1: boom"), CancellationToken.None)).SentOf<StopReplicas>());
            await h.Track.HandleAsync(h.Stopped(stop.Command, index), CancellationToken.None);
            if (index == 0)
            {
                var next = Assert.Single((await h.Sweep.HandleAsync(CancellationToken.None)).SentOf<StartReplicas>()).Command;
                await h.Track.HandleAsync(h.Started(next, 1), CancellationToken.None);
            }
        }

        // Two unhealthy in a row: the third waits out the back-off, then comes.
        Assert.Empty((await h.Sweep.HandleAsync(CancellationToken.None)).SentOf<StartReplicas>());
        h.Time.Advance(SweepHandler.UnhealthyBackOff(2));
        await h.HeartbeatAsync("host-a");
        Assert.Equal([2], Assert.Single((await h.Sweep.HandleAsync(CancellationToken.None)).SentOf<StartReplicas>()).Command.Replicas.Select(r => r.Index));
        Assert.Equal(2, (await h.Store.GetReplicasAsync(id, CancellationToken.None)).Count(r => r.Health == ReplicaHealth.Unhealthy));
    }

    [Fact]
    public async Task Rollout_RevisionTwoBecomesHealthy_SupersedesRevisionOneAndStopsAllItsReplicas()
    {
        await using var h = await HandlerHarness.CreateAsync();
        await h.HeartbeatAsync("host-a");
        await h.HeartbeatAsync("host-b");
        var (v1, first) = await h.DeployAsync(Specs.Make("web", 2));
        await h.StartAllAsync(first);
        var (v2, second) = await h.DeployAsync(Specs.Make("web", 2, Version2));

        var results = await h.ConvergeAsync(second);

        var succeeded = Assert.IsType<DeploymentSucceeded>(Assert.Single(results.SelectMany(r => r.Published)));
        Assert.Equal((v2, 2L), (succeeded.CorrelationId, succeeded.Revision));
        var stops = results.SelectMany(r => r.SentOf<StopReplicas>()).ToList();
        Assert.All(stops, s => Assert.Equal((v1, 1L, "web"), (s.Command.CorrelationId, s.Command.Revision, s.Command.Name)));
        var v1Replicas = await h.Store.GetReplicasAsync(v1, CancellationToken.None);
        Assert.Equal(v1Replicas.Select(r => (r.HostId, r.Index)).Order(), stops.SelectMany(s => s.Command.Indexes.Select(i => (s.HostId, i))).Order());
        Assert.All(v1Replicas, r => Assert.Equal(ReplicaState.Stopped, r.State));
        Assert.Equal(DeploymentState.Superseded, (await h.Store.GetRevisionAsync(v1, CancellationToken.None))!.State);
        Assert.Equal(v2, Assert.Single(await h.Store.GetCurrentRevisionsAsync("web", CancellationToken.None)).DeploymentId);
    }

    [Theory]
    [InlineData(4, 1, 1, 2)]
    [InlineData(4, 0, 1, 1)]
    [InlineData(4, 1, 0, 1)]
    [InlineData(5, 2, 3, 3)]
    [InlineData(3, 0, 3, 2)]
    public async Task Rollout_InWaves_NeverBelowTheFloorNorAboveTheCeiling(int replicas, int maxUnavailable, int maxSurge, int hosts)
    {
        await using var h = await HandlerHarness.CreateAsync();
        for (var i = 0; i < hosts; i++)
        {
            await h.HeartbeatAsync($"host-{i}");
        }

        var policy = $"ports:\n  - container: 8080\nupdate:\n  maxUnavailable: {maxUnavailable}\n  maxSurge: {maxSurge}\n";
        var (v1, first) = await h.DeployAsync(Specs.Make("web", replicas, policy));
        await h.StartAllAsync(first);
        var (v2, second) = await h.DeployAsync(Specs.Make("web", replicas, policy + Version2));
        var (lowest, highest) = (int.MaxValue, 0);

        var results = await h.ConvergeAsync(second, observe: async () =>
        {
            var all = (await h.Store.GetReplicasAsync(v1, CancellationToken.None)).Concat(await h.Store.GetReplicasAsync(v2, CancellationToken.None)).ToList();
            lowest = Math.Min(lowest, all.Count(r => r.Serving));
            highest = Math.Max(highest, all.Count(r => r.State is ReplicaState.Pending or ReplicaState.Running or ReplicaState.Stopping));
        });

        var waves = results.Count(r => r.SentOf<StartReplicas>().Count > 0);
        Assert.True(lowest >= replicas - maxUnavailable, $"only {lowest} healthy at one point; the floor is {replicas - maxUnavailable}");
        Assert.True(highest <= replicas + maxSurge, $"{highest} replicas existed at one point; the ceiling is {replicas + maxSurge}");
        Assert.True(waves > 1 || maxSurge + maxUnavailable >= replicas, $"the update went in {waves} wave(s)");
        Assert.Equal(replicas, (await h.Store.GetReplicasAsync(v2, CancellationToken.None)).Count(r => r.Serving));
        Assert.Equal(DeploymentState.Running, (await h.Store.GetRevisionAsync(v2, CancellationToken.None))!.State);
        Assert.All(await h.Store.GetReplicasAsync(v1, CancellationToken.None), r => Assert.Equal(ReplicaState.Stopped, r.State));
    }

    [Fact]
    public async Task Rollout_NewReplicaUnhealthy_RollsBackToTheLastHealthyRevisionAndSaysWhyOnce()
    {
        await using var h = await HandlerHarness.CreateAsync();
        var (v1, first, v2, second) = await RollingOutAsync(h, 4);
        var lowest = int.MaxValue;

        var results = await h.ConvergeAsync(
            second,
            start => start.Revision == 2 ? ReplicaHealth.Unhealthy : ReplicaHealth.Healthy,
            async () => lowest = Math.Min(lowest, (await h.Store.GetReplicasAsync(v1, CancellationToken.None)).Count(r => r.Serving)));

        var rolledBack = Assert.IsType<DeploymentRolledBack>(Assert.Single(results.SelectMany(r => r.Published)));
        Assert.Equal((v2, 2L, 1L), (rolledBack.CorrelationId, rolledBack.Revision, rolledBack.RestoredRevision));
        Assert.Contains("is unhealthy: GET /healthz -> 503", rolledBack.Reason, StringComparison.Ordinal);
        Assert.True(lowest >= 3, $"only {lowest} old replicas served at one point");
        // The first wave only (one surge, one in place of a stopped old one), and all of it stopped again.
        Assert.InRange((await h.Store.GetReplicasAsync(v2, CancellationToken.None)).Count, 1, 2);
        Assert.All(await h.Store.GetReplicasAsync(v2, CancellationToken.None), r => Assert.Equal(ReplicaState.Stopped, r.State));
        Assert.Equal(4, (await h.Store.GetReplicasAsync(v1, CancellationToken.None)).Count(r => r.Serving));
        Assert.Equal(DeploymentState.RolledBack, (await h.Store.GetRevisionAsync(v2, CancellationToken.None))!.State);
        Assert.Equal(v1, Assert.Single(await h.Store.GetCurrentRevisionsAsync("web", CancellationToken.None)).DeploymentId);
        var status = Assert.Single((await h.Query.HandleAsync(new GetDeploymentStatus(Guid.NewGuid(), Guid.NewGuid(), h.Time.GetUtcNow(), "web", null), CancellationToken.None)).Deployments);
        Assert.Equal((DeploymentState.RolledBack, 1L), (status.State, status.Revision));
        Assert.Contains("is unhealthy", status.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Rollback_OldReplicasTurnedUnhealthyDuringTheRollout_ItsTargetIsBroughtBackToFullStrength()
    {
        await using var h = await HandlerHarness.CreateAsync();
        var (v1, first, v2, second) = await RollingOutAsync(h, 4);
        var v1Starts = first.SentOf<StartReplicas>().Select(s => s.Command).ToList();

        // While revision 2's first wave starts, two of revision 1's replicas fail their probe (a host under load).
        foreach (var index in new[] { 0, 1 })
        {
            var start = v1Starts.Single(s => s.Replicas.Any(r => r.Index == index));
            second.Add(await h.Track.HandleAsync(h.Health(start, index, ReplicaHealth.Unhealthy, "probe timed out"), CancellationToken.None));
        }

        var results = await h.ConvergeAsync(second, start => start.Revision == 2 ? ReplicaHealth.Unhealthy : ReplicaHealth.Healthy);

        Assert.Equal(v2, Assert.IsType<DeploymentRolledBack>(Assert.Single(results.SelectMany(r => r.Published))).CorrelationId);
        Assert.Equal(DeploymentState.RolledBack, (await h.Store.GetRevisionAsync(v2, CancellationToken.None))!.State);
        Assert.Equal(4, (await h.Store.GetReplicasAsync(v1, CancellationToken.None)).Count(r => r.Serving));
        Assert.Equal(v1, Assert.Single(await h.Store.GetCurrentRevisionsAsync("web", CancellationToken.None)).DeploymentId);
    }

    [Fact]
    public async Task Rollback_TargetReplicaTurnsUnhealthyWhileRollingBack_IsReplacedAndTheRollbackFinishes()
    {
        await using var h = await HandlerHarness.CreateAsync();
        var (v1, first, v2, second) = await RollingOutAsync(h, 2);

        var rollingBack = await FirstWaveFailsItsProbeAsync(h, second);
        Assert.Equal(DeploymentState.RollingBack, (await h.Store.GetRevisionAsync(v2, CancellationToken.None))!.State);

        // While the rollback brings revision 1 back, its one replica still serving fails its probe (a host under load).
        var survivor = Assert.Single(await h.Store.GetReplicasAsync(v1, CancellationToken.None), r => r.Serving).Index;
        var v1Start = first.SentOf<StartReplicas>().Single(s => s.Command.Replicas.Any(r => r.Index == survivor)).Command;
        rollingBack.Add(await h.Track.HandleAsync(h.Health(v1Start, survivor, ReplicaHealth.Unhealthy, "probe timed out"), CancellationToken.None));
        var results = await h.ConvergeAsync(rollingBack);

        Assert.Equal(v2, Assert.IsType<DeploymentRolledBack>(Assert.Single(results.SelectMany(r => r.Published))).CorrelationId);
        var v1Replicas = await h.Store.GetReplicasAsync(v1, CancellationToken.None);
        Assert.Equal(2, v1Replicas.Count(r => r.Serving));
        Assert.DoesNotContain(v1Replicas, r => r.Index == survivor && r.Alive);
        Assert.Equal(v1, Assert.Single(await h.Store.GetCurrentRevisionsAsync("web", CancellationToken.None)).DeploymentId);
    }

    [Fact]
    public async Task Rollback_TargetReplicaStartsKeepFailing_RetriesAfterABackOffNotOncePerFailure()
    {
        await using var h = await HandlerHarness.CreateAsync();
        var (v1, _, v2, second) = await RollingOutAsync(h, 2);

        // The new replica fails its probe: revision 1 is restored, and its replacement's start is refused again and again.
        // Revision 2's replicas stop first (the surge has no room), and revision 1's replacement starts once they have.
        var pending = new Queue<StopReplicas>((await FirstWaveFailsItsProbeAsync(h, second)).SentOf<StopReplicas>().Select(s => s.Command));
        var starts = new List<StartReplicas>();
        while (pending.TryDequeue(out var stop))
        {
            foreach (var stopped in stop.Indexes)
            {
                var effects = await h.Track.HandleAsync(h.Stopped(stop, stopped), CancellationToken.None);
                starts.AddRange(effects.SentOf<StartReplicas>().Select(s => s.Command));
                effects.SentOf<StopReplicas>().ToList().ForEach(s => pending.Enqueue(s.Command));
            }
        }

        var retry = Assert.Single(starts, s => s.CorrelationId == v1);
        var failures = new List<Effects>();
        for (var attempt = 0; attempt < 2; attempt++)
        {
            var refused = await h.Track.HandleAsync(Refused(retry), CancellationToken.None);
            failures.Add(refused);
            retry = refused.SentOf<StartReplicas>().Select(s => s.Command).SingleOrDefault() ?? retry;
        }

        // The first refusal is retried at once; after the second the next start waits 10 s, then the sweep sends it.
        Assert.Single(failures[0].SentOf<StartReplicas>());
        Assert.Empty(failures[1].SentOf<StartReplicas>());
        Assert.Empty((await h.Sweep.HandleAsync(CancellationToken.None)).SentOf<StartReplicas>());
        h.Time.Advance(TimeSpan.FromSeconds(11));
        await h.HeartbeatAsync("host-a");
        await h.HeartbeatAsync("host-b");
        var later = Assert.Single((await h.Sweep.HandleAsync(CancellationToken.None)).SentOf<StartReplicas>()).Command;
        Assert.Equal((v1, 1L), (later.CorrelationId, later.Revision));
        Assert.Equal(DeploymentState.RollingBack, (await h.Store.GetRevisionAsync(v2, CancellationToken.None))!.State);

        ReplicaFailed Refused(StartReplicas start) =>
            new(Guid.NewGuid(), start.CorrelationId, h.Time.GetUtcNow(), start.HostId, "web", start.Revision, Assert.Single(start.Replicas).Index, "the engine refused it");
    }

    [Fact]
    public async Task Rollout_NewReplicaUnhealthyWithoutAutoRollback_FailsAndLeavesTheOldRevisionServing()
    {
        await using var h = await HandlerHarness.CreateAsync();
        await h.HeartbeatAsync("host-a");
        const string policy = "ports:\n  - container: 8080\nupdate:\n  autoRollback: false\n";
        var (v1, first) = await h.DeployAsync(Specs.Make("web", 2, policy));
        await h.StartAllAsync(first);
        var (v2, second) = await h.DeployAsync(Specs.Make("web", 2, policy + Version2));

        var results = await h.ConvergeAsync(second, start => start.Revision == 2 ? ReplicaHealth.Unhealthy : ReplicaHealth.Healthy);

        var failed = Assert.IsType<DeploymentFailed>(Assert.Single(results.SelectMany(r => r.Published)));
        Assert.Equal(v2, failed.CorrelationId);
        Assert.Equal(DeploymentState.Failed, (await h.Store.GetRevisionAsync(v2, CancellationToken.None))!.State);
        Assert.Equal(2, (await h.Store.GetReplicasAsync(v1, CancellationToken.None)).Count(r => r.Serving));
    }

    [Fact]
    public async Task Sweep_RolloutWithoutProgressPastItsDeadline_RollsBack()
    {
        await using var h = await HandlerHarness.CreateAsync();
        await h.HeartbeatAsync("host-a");
        const string policy = "ports:\n  - container: 8080\nupdate:\n  progressDeadline: 1m\n";
        var (v1, first) = await h.DeployAsync(Specs.Make("web", 1, policy));
        await h.StartAllAsync(first);
        var (v2, second) = await h.DeployAsync(Specs.Make("web", 1, policy + Version2));
        var start = Assert.Single(second.SentOf<StartReplicas>()).Command;
        await h.Track.HandleAsync(h.Started(start, 0), CancellationToken.None);

        // Started but never judged healthy (a check that neither passes nor fails in time).
        h.Time.Advance(TimeSpan.FromSeconds(61));
        await h.HeartbeatRunningAsync(
            "host-a",
            new RunningReplica("web", 1, 0, "container-1-0", true, h.Time.GetUtcNow(), ReplicaHealth.Healthy),
            new RunningReplica("web", 2, 0, "container-2-0", true, h.Time.GetUtcNow(), ReplicaHealth.Starting));
        var swept = await h.Sweep.HandleAsync(CancellationToken.None);

        // Revision 1 still runs whole, so the rollback is over at once: the new replica stops, nothing else moves.
        var revision = (await h.Store.GetRevisionAsync(v2, CancellationToken.None))!;
        Assert.Equal(DeploymentState.RolledBack, revision.State);
        Assert.Contains("no progress for 1m", revision.Reason, StringComparison.Ordinal);
        Assert.Equal(v2, Assert.IsType<DeploymentRolledBack>(Assert.Single(swept.Published)).CorrelationId);
        Assert.Equal((v2, 0), (Assert.Single(swept.SentOf<StopReplicas>()).Command.CorrelationId, Assert.Single(swept.SentOf<StopReplicas>()).Command.Indexes.Single()));
        Assert.Equal(v1, Assert.Single(await h.Store.GetCurrentRevisionsAsync("web", CancellationToken.None)).DeploymentId);
    }

    [Fact]
    public async Task ReplicaHealthChanged_RedeliveredAfterACrashBeforeTheOlderRevisionWasStopped_StillStopsIt()
    {
        await using var h = await HandlerHarness.CreateAsync();
        await h.HeartbeatAsync("host-a");
        var (v1, first) = await h.DeployAsync(Specs.Make("web", 1));
        await h.StartAllAsync(first);
        var (v2, second) = await h.DeployAsync(Specs.Make("web", 1, Version2));
        var start = second.SentOf<StartReplicas>().Single().Command;
        await h.Track.HandleAsync(h.Started(start, start.Replicas[0].Index), CancellationToken.None);
        var healthy = h.Health(start, start.Replicas[0].Index, ReplicaHealth.Healthy);

        // The first delivery wrote the replica healthy and the revision running, then its process died before the stops.
        await h.Store.UpdateReplicaHealthAsync(v2, healthy.Index, ReplicaHealth.Healthy, healthy.ContainerId, null, healthy.Timestamp, CancellationToken.None);
        await h.Store.TransitionRevisionAsync(v2, [DeploymentState.Pending], DeploymentState.Running, null, h.Time.GetUtcNow(), CancellationToken.None);
        var redelivered = await h.Track.HandleAsync(healthy, CancellationToken.None);

        var stop = Assert.Single(redelivered.SentOf<StopReplicas>());
        Assert.Equal((v1, 1L), (stop.Command.CorrelationId, stop.Command.Revision));
        Assert.Equal(DeploymentState.Superseded, (await h.Store.GetRevisionAsync(v1, CancellationToken.None))!.State);
    }

    [Fact]
    public async Task Heartbeat_CarriesAHealthReportThatWasLost_TheRevisionRunsAnyway()
    {
        await using var h = await HandlerHarness.CreateAsync();
        await h.HeartbeatAsync("host-a");
        var (id, planned) = await h.DeployAsync(Specs.Make("web", 1));
        var start = planned.SentOf<StartReplicas>().Single().Command;
        await h.Track.HandleAsync(h.Started(start, 0), CancellationToken.None);

        h.Time.Advance(TimeSpan.FromSeconds(6));
        var effects = await h.HeartbeatRunningAsync("host-a", new RunningReplica("web", 1, 0, "container-1-0", true, h.Time.GetUtcNow(), ReplicaHealth.Healthy));

        Assert.Equal(id, Assert.IsType<DeploymentSucceeded>(Assert.Single(effects.Published)).CorrelationId);
        Assert.Equal(ReplicaHealth.Healthy, Assert.Single(await h.Store.GetReplicasAsync(id, CancellationToken.None)).Health);
    }

    [Fact]
    public async Task RollbackTarget_WithoutARevisionNamed_IsTheNewestEarlierOneThatRanHealthyNotOneRolledBack()
    {
        await using var h = await HandlerHarness.CreateAsync();
        await h.HeartbeatAsync("host-a");
        var (_, first) = await h.DeployAsync(Specs.Make("web", 1));
        await h.StartAllAsync(first);
        var (_, second) = await h.DeployAsync(Specs.Make("web", 1, Version2));
        await h.ConvergeAsync(second);
        var (_, third) = await h.DeployAsync(Specs.Make("web", 1, "env:\n  VERSION: \"3\"\n"));
        await h.ConvergeAsync(third, start => start.Revision == 3 ? ReplicaHealth.Unhealthy : ReplicaHealth.Healthy);

        var history = await h.Query.HandleAsync(new GetDeploymentHistory(Guid.NewGuid(), Guid.NewGuid(), h.Time.GetUtcNow(), "web"), CancellationToken.None);
        var (target, error) = QueryHandler.RollbackTarget(history, null);

        Assert.Equal([(3L, DeploymentState.RolledBack), (2L, DeploymentState.Running), (1L, DeploymentState.Superseded)], history.Revisions.Select(r => (r.Revision, r.State)));
        Assert.Equal(2L, history.Current);
        Assert.Null(error);
        Assert.Equal(1L, target!.Revision);
        Assert.Contains("no revision 7", QueryHandler.RollbackTarget(history, 7).Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Outcome_ProcessDiesBetweenTheTransitionAndThePublish_TheSweepPublishesItOnce()
    {
        await using var h = await HandlerHarness.CreateAsync();
        await h.HeartbeatAsync("host-a");
        var (id, planned) = await h.DeployAsync(Specs.Make("web", 1));
        var start = planned.SentOf<StartReplicas>().Single().Command;
        await h.Track.HandleAsync(h.Started(start, 0), CancellationToken.None);

        // The revision moves to running and the handler asks for DeploymentSucceeded; its process dies before publishing.
        var lost = await h.Track.HandleAsync(h.Health(start, 0, ReplicaHealth.Healthy), CancellationToken.None);
        Assert.Single(lost.PublishedOf<DeploymentSucceeded>());
        Assert.Equal(DeploymentState.Running, (await h.Store.GetRevisionAsync(id, CancellationToken.None))!.State);

        Assert.Empty((await h.Sweep.HandleAsync(CancellationToken.None)).PublishedOf<DeploymentSucceeded>());
        h.Time.Advance(h.Options.OutboxGrace);
        await h.HeartbeatAsync("host-a");
        var swept = await h.Sweep.HandleAsync(CancellationToken.None);

        var again = Assert.Single(swept.PublishedOf<DeploymentSucceeded>());
        Assert.Equal((lost.PublishedOf<DeploymentSucceeded>().Single().MessageId, id, 1L), (again.MessageId, again.CorrelationId, again.Revision));
        await swept.CompleteAsync(CancellationToken.None);
        Assert.Empty((await h.Sweep.HandleAsync(CancellationToken.None)).PublishedOf<DeploymentSucceeded>());
    }

    [Fact]
    public async Task Outcome_ProcessDiesBetweenTheTransitionAndThePublish_TheRedeliveredMessagePublishesIt()
    {
        await using var h = await HandlerHarness.CreateAsync();
        await h.HeartbeatAsync("host-a");
        var (id, planned) = await h.DeployAsync(Specs.Make("web", 1));
        var start = planned.SentOf<StartReplicas>().Single().Command;
        await h.Track.HandleAsync(h.Started(start, 0), CancellationToken.None);
        var healthy = h.Health(start, 0, ReplicaHealth.Healthy);
        var lost = await h.Track.HandleAsync(healthy, CancellationToken.None);

        // The same message again, as the broker redelivers it when its consumer died unacknowledged.
        var redelivered = await h.Track.HandleAsync(healthy, CancellationToken.None);

        var again = Assert.Single(redelivered.PublishedOf<DeploymentSucceeded>());
        Assert.Equal((lost.PublishedOf<DeploymentSucceeded>().Single().MessageId, id), (again.MessageId, again.CorrelationId));
        await redelivered.CompleteAsync(CancellationToken.None);
        Assert.Empty((await h.Track.HandleAsync(healthy, CancellationToken.None)).PublishedOf<DeploymentSucceeded>());
    }

    [Fact]
    public async Task Outcome_PublishedWithTheHandlersEffects_IsNotPublishedAgain()
    {
        await using var h = await HandlerHarness.CreateAsync();
        await h.HeartbeatAsync("host-a");
        var (_, planned) = await h.DeployAsync(Specs.Make("web", 1));
        var effects = Assert.Single(await h.StartAllAsync(planned));
        Assert.Single(effects.PublishedOf<DeploymentSucceeded>());

        await effects.CompleteAsync(CancellationToken.None);
        h.Time.Advance(h.Options.OutboxGrace);
        await h.HeartbeatAsync("host-a");

        Assert.Empty((await h.Sweep.HandleAsync(CancellationToken.None)).PublishedOf<DeploymentSucceeded>());
    }

    [Fact]
    public async Task Sweep_TwoHealthReportsRacedAndNeitherFinishedTheRevision_FinishesIt()
    {
        await using var h = await HandlerHarness.CreateAsync();
        await h.HeartbeatAsync("host-a");
        var (id, planned) = await h.DeployAsync(Specs.Make("web", 2));
        var start = planned.SentOf<StartReplicas>().Single().Command;

        // Both reports were written, each by a handler that read the other replica before it was healthy.
        foreach (var index in new[] { 0, 1 })
        {
            await h.Store.UpdateReplicaHealthAsync(id, index, ReplicaHealth.Healthy, $"container-1-{index}", null, h.Time.GetUtcNow(), CancellationToken.None);
        }

        Assert.Equal(DeploymentState.Pending, (await h.Store.GetRevisionAsync(id, CancellationToken.None))!.State);
        var swept = await h.Sweep.HandleAsync(CancellationToken.None);

        Assert.Equal(id, Assert.Single(swept.PublishedOf<DeploymentSucceeded>()).CorrelationId);
        Assert.Equal(DeploymentState.Running, (await h.Store.GetRevisionAsync(id, CancellationToken.None))!.State);
        Assert.Equal(2, start.Replicas.Count);
    }

    [Fact]
    public async Task Rollout_OvertakenByANewerOneBeforeItFinished_EndsSupersededNotPending()
    {
        await using var h = await HandlerHarness.CreateAsync();
        await h.HeartbeatAsync("host-a");
        await h.HeartbeatAsync("host-b");
        var (v1, first) = await h.DeployAsync(Specs.Make("web", 2));
        await h.StartAllAsync(first);
        var (v2, second) = await h.DeployAsync(Specs.Make("web", 2, Version2));
        var (v3, third) = await h.DeployAsync(Specs.Make("web", 2, "env:\n  VERSION: \"3\"\n"));
        Assert.Equal("overtaken by revision 3", (await h.Store.GetRevisionAsync(v2, CancellationToken.None))!.Reason);

        await h.ConvergeAsync(new Effects().Add(second).Add(third));

        Assert.Equal(
            [DeploymentState.Superseded, DeploymentState.Superseded, DeploymentState.Running],
            [(await h.Store.GetRevisionAsync(v1, CancellationToken.None))!.State, (await h.Store.GetRevisionAsync(v2, CancellationToken.None))!.State, (await h.Store.GetRevisionAsync(v3, CancellationToken.None))!.State]);
        Assert.All(await h.Store.GetReplicasAsync(v2, CancellationToken.None), r => Assert.Equal(ReplicaState.Stopped, r.State));
    }

    /// <summary>
    /// Revision 1 of "web" running healthy on two hosts, and revision 2 just planned (its first wave in the returned
    /// effects, not yet carried out), under maxUnavailable 1 and maxSurge 1.
    /// </summary>
    /// <summary>The first wave of the rollout: one old replica stops (and is gone), one new one starts and fails its probe.</summary>
    private static async Task<Effects> FirstWaveFailsItsProbeAsync(HandlerHarness h, Effects second)
    {
        var oldStop = Assert.Single(second.SentOf<StopReplicas>()).Command;
        await h.Track.HandleAsync(h.Stopped(oldStop, Assert.Single(oldStop.Indexes)), CancellationToken.None);
        var v2Start = Assert.Single(second.SentOf<StartReplicas>()).Command;
        var index = Assert.Single(v2Start.Replicas).Index;
        await h.Track.HandleAsync(h.Started(v2Start, index), CancellationToken.None);
        return await h.Track.HandleAsync(h.Health(v2Start, index, ReplicaHealth.Unhealthy, "GET /healthz -> 503"), CancellationToken.None);
    }

    private static async Task<(Guid V1, Effects First, Guid V2, Effects Second)> RollingOutAsync(HandlerHarness h, int replicas)
    {
        await h.HeartbeatAsync("host-a");
        await h.HeartbeatAsync("host-b");
        const string policy = "ports:\n  - container: 8080\nupdate:\n  maxUnavailable: 1\n  maxSurge: 1\n";
        var (v1, first) = await h.DeployAsync(Specs.Make("web", replicas, policy));
        await h.StartAllAsync(first);
        var (v2, second) = await h.DeployAsync(Specs.Make("web", replicas, policy + Version2));
        return (v1, first, v2, second);
    }
}
