using Workers.Contracts.Messages;
using Workers.Functions.Tests.Support;

namespace Workers.Functions.Tests.Handlers;

public sealed class TrackHandlerTests
{
    [Fact]
    public async Task ReplicaFailed_PublishesDeploymentFailedAndStopsTheOtherReplicas()
    {
        await using var h = await HandlerHarness.CreateAsync();
        await h.HeartbeatAsync("host-a");
        await h.HeartbeatAsync("host-b");
        var (id, planned) = await h.DeployAsync(Specs.Make("web", 3));
        // Three replicas on two hosts: one host has two of them (started or not), the other the one that fails.
        var onTwo = planned.SentOf<StartReplicas>().Single(s => s.Command.Replicas.Count == 2).Command;
        var onOne = planned.SentOf<StartReplicas>().Single(s => s.Command.Replicas.Count == 1).Command;
        await h.Track.HandleAsync(h.Started(onTwo, onTwo.Replicas[0].Index), CancellationToken.None);
        var failedIndex = onOne.Replicas.Single().Index;

        var effects = await h.Track.HandleAsync(
            new ReplicaFailed(Guid.NewGuid(), id, h.Time.GetUtcNow(), onOne.HostId, "web", 1, failedIndex, "image not found"),
            CancellationToken.None);

        var failed = Assert.IsType<DeploymentFailed>(Assert.Single(effects.Published));
        Assert.Equal((id, "web", 1L), (failed.CorrelationId, failed.Name, failed.Revision));
        Assert.Equal($"replica {failedIndex} on {onOne.HostId} failed: image not found", failed.Reason);
        var stop = Assert.Single(effects.SentOf<StopReplicas>());
        Assert.Single(effects.Sent);
        Assert.Equal((onTwo.HostId, id, 1L), (stop.HostId, stop.Command.CorrelationId, stop.Command.Revision));
        Assert.Equal(onTwo.Replicas.Select(r => r.Index).Order(), stop.Command.Indexes.Order());
        var revision = await h.Store.GetRevisionAsync(id, CancellationToken.None);
        Assert.Equal((DeploymentState.Failed, failed.Reason), (revision!.State, revision.Reason));
        var replicas = await h.Store.GetReplicasAsync(id, CancellationToken.None);
        Assert.All(replicas, r => Assert.Equal(r.Index == failedIndex ? ReplicaState.Failed : ReplicaState.Stopping, r.State));
    }

    [Fact]
    public async Task ReplicaFailed_RedeliveredAfterTheTransitionButBeforeThePublish_PublishesDeploymentFailedAgain()
    {
        await using var h = await HandlerHarness.CreateAsync();
        await h.HeartbeatAsync("host-a");
        var (id, planned) = await h.DeployAsync(Specs.Make("web", 1));
        var start = planned.SentOf<StartReplicas>().Single().Command;
        var failure = new ReplicaFailed(Guid.NewGuid(), id, h.Time.GetUtcNow(), "host-a", "web", 1, start.Replicas[0].Index, "image not found");
        var lost = await h.Track.HandleAsync(failure, CancellationToken.None);

        var redelivered = await h.Track.HandleAsync(failure, CancellationToken.None);

        var again = Assert.Single(redelivered.PublishedOf<DeploymentFailed>());
        Assert.Equal(lost.PublishedOf<DeploymentFailed>().Single().MessageId, again.MessageId);
        await redelivered.CompleteAsync(CancellationToken.None);
        Assert.Empty((await h.Track.HandleAsync(failure, CancellationToken.None)).PublishedOf<DeploymentFailed>());
    }

    [Fact]
    public async Task HandleBatch_StartedThenHealthyTogether_RunsTheRevisionAndPublishesSucceededOnce()
    {
        await using var h = await HandlerHarness.CreateAsync();
        await h.HeartbeatAsync("host-a");
        await h.HeartbeatAsync("host-b");
        await h.HeartbeatAsync("host-c");
        var (id, planned) = await h.DeployAsync(Specs.Make("web", 3));
        var starts = planned.SentOf<StartReplicas>().Select(s => s.Command).ToList();

        var afterStarted = await h.Track.HandleAsync([.. starts.SelectMany(s => s.Replicas.Select(r => h.Started(s, r.Index)))], CancellationToken.None);
        var afterHealthy = await h.Track.HandleAsync([.. starts.SelectMany(s => s.Replicas.Select(r => h.Health(s, r.Index, ReplicaHealth.Healthy)))], CancellationToken.None);

        Assert.Empty(afterStarted.Published);
        Assert.Empty(afterStarted.Sent);
        Assert.Equal(id, Assert.Single(afterHealthy.PublishedOf<DeploymentSucceeded>()).CorrelationId);
        Assert.Empty(afterHealthy.Sent);
        Assert.Equal(DeploymentState.Running, (await h.Store.GetRevisionAsync(id, CancellationToken.None))!.State);
        Assert.All(await h.Store.GetReplicasAsync(id, CancellationToken.None), r => Assert.True(r.Serving, $"replica {r.Index}: {r.State} {r.Health}"));
    }

    [Fact]
    public async Task HandleBatch_StartedOfADeletedDeploymentBesideALiveOne_StopsOnlyTheDeletedOnesReplicas()
    {
        await using var h = await HandlerHarness.CreateAsync();
        await h.HeartbeatAsync("host-a");
        await h.HeartbeatAsync("host-b");
        var (web, webPlanned) = await h.DeployAsync(Specs.Make("web", 2));
        var (api, apiPlanned) = await h.DeployAsync(Specs.Make("api", 2));
        await h.Delete.HandleAsync(new DeleteDeployment(Guid.NewGuid(), Guid.NewGuid(), h.Time.GetUtcNow(), "api", "tester"), CancellationToken.None);
        var starts = webPlanned.SentOf<StartReplicas>().Concat(apiPlanned.SentOf<StartReplicas>()).Select(s => s.Command).ToList();

        var effects = await h.Track.HandleAsync([.. starts.SelectMany(s => s.Replicas.Select(r => h.Started(s, r.Index)))], CancellationToken.None);

        var stops = effects.SentOf<StopReplicas>();
        Assert.Equal(2, stops.Count);
        Assert.All(stops, s => Assert.Equal(api, s.Command.CorrelationId));
        Assert.Equal([0, 1], stops.SelectMany(s => s.Command.Indexes).Order());
        Assert.All(await h.Store.GetReplicasAsync(web, CancellationToken.None), r => Assert.Equal(ReplicaState.Running, r.State));
    }

    [Fact]
    public async Task HandleBatch_HealthyRedeliveredBeforeThePublish_PublishesTheSameSucceededAgain()
    {
        await using var h = await HandlerHarness.CreateAsync();
        await h.HeartbeatAsync("host-a");
        await h.HeartbeatAsync("host-b");
        var (_, planned) = await h.DeployAsync(Specs.Make("web", 2));
        var starts = planned.SentOf<StartReplicas>().Select(s => s.Command).ToList();
        await h.Track.HandleAsync([.. starts.SelectMany(s => s.Replicas.Select(r => h.Started(s, r.Index)))], CancellationToken.None);
        List<ReplicaHealthChanged> healthy = [.. starts.SelectMany(s => s.Replicas.Select(r => h.Health(s, r.Index, ReplicaHealth.Healthy)))];
        var lost = await h.Track.HandleAsync(healthy, CancellationToken.None);

        var redelivered = await h.Track.HandleAsync(healthy, CancellationToken.None);

        Assert.Equal(lost.PublishedOf<DeploymentSucceeded>().Single().MessageId, Assert.Single(redelivered.PublishedOf<DeploymentSucceeded>()).MessageId);
        await redelivered.CompleteAsync(CancellationToken.None);
        Assert.Empty((await h.Track.HandleAsync(healthy, CancellationToken.None)).PublishedOf<DeploymentSucceeded>());
    }

    [Fact]
    public async Task HandleBatch_AnUnhealthyReportAmongHealthyOnes_FailsTheRolloutAsOneAtATimeWould()
    {
        await using var h = await HandlerHarness.CreateAsync();
        await h.HeartbeatAsync("host-a");
        await h.HeartbeatAsync("host-b");
        var (id, planned) = await h.DeployAsync(Specs.Make("web", 2));
        var starts = planned.SentOf<StartReplicas>().Select(s => s.Command).ToList();
        await h.Track.HandleAsync([.. starts.SelectMany(s => s.Replicas.Select(r => h.Started(s, r.Index)))], CancellationToken.None);
        var replicas = starts.SelectMany(s => s.Replicas.Select(r => (Start: s, r.Index))).OrderBy(r => r.Index).ToList();

        var effects = await h.Track.HandleAsync(
            [h.Health(replicas[0].Start, replicas[0].Index, ReplicaHealth.Healthy), h.Health(replicas[1].Start, replicas[1].Index, ReplicaHealth.Unhealthy, "probe refused")],
            CancellationToken.None);

        var failed = Assert.Single(effects.PublishedOf<DeploymentFailed>());
        Assert.Contains("probe refused", failed.Reason, StringComparison.Ordinal);
        Assert.Equal(DeploymentState.Failed, (await h.Store.GetRevisionAsync(id, CancellationToken.None))!.State);
    }

    [Fact]
    public async Task ReplicaStarted_UnknownDeployment_SendsStopReplicasForIt()
    {
        await using var h = await HandlerHarness.CreateAsync();
        var unknown = Guid.NewGuid();

        var effects = await h.Track.HandleAsync(
            new ReplicaStarted(Guid.NewGuid(), unknown, h.Time.GetUtcNow(), "host-a", "ghost", 7, 2, "container-x", []),
            CancellationToken.None);

        Assert.Empty(effects.Published);
        var stop = Assert.Single(effects.SentOf<StopReplicas>());
        Assert.Equal(("host-a", unknown, "ghost", 7L), (stop.HostId, stop.Command.CorrelationId, stop.Command.Name, stop.Command.Revision));
        Assert.Equal([2], stop.Command.Indexes);
    }

    [Fact]
    public async Task ReplicaStarted_AfterTheDeploymentWasDeleted_SendsStopReplicasForIt()
    {
        await using var h = await HandlerHarness.CreateAsync();
        await h.HeartbeatAsync("host-a");
        var (id, planned) = await h.DeployAsync(Specs.Make("web", 1));
        var start = planned.SentOf<StartReplicas>().Single().Command;
        await h.Delete.HandleAsync(new DeleteDeployment(Guid.NewGuid(), Guid.NewGuid(), h.Time.GetUtcNow(), "web", "tester"), CancellationToken.None);

        var effects = await h.Track.HandleAsync(h.Started(start, 0), CancellationToken.None);

        Assert.Empty(effects.Published);
        var stop = Assert.Single(effects.SentOf<StopReplicas>());
        Assert.Equal(("host-a", id, 1L), (stop.HostId, stop.Command.CorrelationId, stop.Command.Revision));
        Assert.Equal([0], stop.Command.Indexes);
        Assert.Equal(ReplicaState.Stopping, Assert.Single(await h.Store.GetReplicasAsync(id, CancellationToken.None)).State);
    }

    [Fact]
    public async Task ReplicaFailed_HostPortTakenOnADynamicPort_PlacesItAgainInsteadOfFailingTheDeployment()
    {
        await using var h = await HandlerHarness.CreateAsync();
        await h.HeartbeatAsync("host-a");
        var (id, planned) = await h.DeployAsync(Specs.Make("web", 1, "ports:\n  - container: 8080\n"));
        var start = planned.SentOf<StartReplicas>().Single().Command;

        var effects = await h.Track.HandleAsync(
            new ReplicaFailed(Guid.NewGuid(), id, h.Time.GetUtcNow(), "host-a", "web", 1, 0, "Bind for 127.0.0.1:20001 failed: port is already allocated", HostPortTaken: true),
            CancellationToken.None);

        Assert.Empty(effects.Published);
        Assert.Equal([1], Assert.Single(effects.SentOf<StartReplicas>()).Command.Replicas.Select(r => r.Index));
        Assert.Equal(DeploymentState.Pending, (await h.Store.GetRevisionAsync(id, CancellationToken.None))!.State);
        Assert.Contains("its host port was taken on host-a", (await h.Store.GetReplicasAsync(id, CancellationToken.None)).Single(r => r.Index == start.Replicas[0].Index).Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ReplicaFailed_HostPortTakenOnAFixedPort_FailsTheDeployment()
    {
        await using var h = await HandlerHarness.CreateAsync();
        await h.HeartbeatAsync("host-a");
        var (id, _) = await h.DeployAsync(Specs.Make("web", 1, "ports:\n  - container: 8080\n    host: 18080\n"));

        var effects = await h.Track.HandleAsync(
            new ReplicaFailed(Guid.NewGuid(), id, h.Time.GetUtcNow(), "host-a", "web", 1, 0, "Bind for 127.0.0.1:18080 failed: port is already allocated", HostPortTaken: true),
            CancellationToken.None);

        Assert.IsType<DeploymentFailed>(Assert.Single(effects.Published));
        Assert.Equal(DeploymentState.Failed, (await h.Store.GetRevisionAsync(id, CancellationToken.None))!.State);
    }

    [Fact]
    public async Task ReplicaFailed_ForAReplicaThatRuns_ChangesNothing()
    {
        await using var h = await HandlerHarness.CreateAsync();
        await h.HeartbeatAsync("host-a");
        var (id, planned) = await h.DeployAsync(Specs.Make("web", 1));
        await h.StartAllAsync(planned);
        var index = planned.SentOf<StartReplicas>().Single().Command.Replicas[0].Index;

        // The same start delivered again later, and refused (stale or expired): the running replica stays running.
        var effects = await h.Track.HandleAsync(
            new ReplicaFailed(Guid.NewGuid(), id, h.Time.GetUtcNow(), "host-a", "web", 1, index, "the command expired"),
            CancellationToken.None);

        Assert.Empty(effects.Published);
        Assert.Empty(effects.Sent);
        Assert.Equal(ReplicaState.Running, Assert.Single(await h.Store.GetReplicasAsync(id, CancellationToken.None)).State);
        Assert.Equal(DeploymentState.Running, (await h.Store.GetRevisionAsync(id, CancellationToken.None))!.State);
    }

    [Fact]
    public async Task ReplicaFailed_AfterTheCommandsTimeToLive_PlacesAReplacementInsteadOfFailingTheDeployment()
    {
        await using var h = await HandlerHarness.CreateAsync();
        await h.HeartbeatAsync("host-a");
        await h.HeartbeatAsync("host-b");
        var (id, planned) = await h.DeployAsync(Specs.Make("web", 2));
        var onB = planned.SentOf<StartReplicas>().Single(s => s.HostId == "host-b").Command;

        h.Time.Advance(h.Options.CommandTimeToLive + TimeSpan.FromSeconds(1));
        await h.HeartbeatAsync("host-a");
        await h.HeartbeatAsync("host-b");
        var effects = await h.Track.HandleAsync(
            new ReplicaFailed(Guid.NewGuid(), id, h.Time.GetUtcNow(), "host-b", "web", 1, onB.Replicas[0].Index, $"the command expired at {onB.ExpiresAt:O} before it arrived"),
            CancellationToken.None);

        Assert.Empty(effects.PublishedOf<DeploymentFailed>());
        var replacement = Assert.Single(effects.SentOf<StartReplicas>()).Command;
        Assert.Equal(2, Assert.Single(replacement.Replicas).Index);
        var replicas = await h.Store.GetReplicasAsync(id, CancellationToken.None);
        Assert.Equal(ReplicaState.Lost, replicas.Single(r => r.Index == onB.Replicas[0].Index).State);
        Assert.Equal(DeploymentState.Pending, (await h.Store.GetRevisionAsync(id, CancellationToken.None))!.State);
    }

    [Fact]
    public async Task ReplicaFailed_ExpiredWhileNoHeartbeatGetsThrough_FailsNothingAndTheSweepPlacesItOnceHeartbeatsFlow()
    {
        await using var h = await HandlerHarness.CreateAsync();
        await h.HeartbeatAsync("host-a");
        var (id, planned) = await h.DeployAsync(Specs.Make("web", 1));
        var start = planned.SentOf<StartReplicas>().Single().Command;

        // A broker restart: no heartbeat processed for longer than the host timeout, then the expired command's refusal.
        h.Time.Advance((h.Options.HostTimeout > h.Options.CommandTimeToLive ? h.Options.HostTimeout : h.Options.CommandTimeToLive) + TimeSpan.FromSeconds(1));
        var effects = await h.Track.HandleAsync(
            new ReplicaFailed(Guid.NewGuid(), id, h.Time.GetUtcNow(), "host-a", "web", 1, start.Replicas[0].Index, $"the command expired at {start.ExpiresAt:O} before it arrived"),
            CancellationToken.None);

        Assert.Empty(effects.PublishedOf<DeploymentFailed>());
        Assert.Empty(effects.Sent);
        Assert.Equal(DeploymentState.Pending, (await h.Store.GetRevisionAsync(id, CancellationToken.None))!.State);

        await h.HeartbeatAsync("host-a");
        var swept = await h.Sweep.HandleAsync(CancellationToken.None);

        var replacement = Assert.Single(swept.SentOf<StartReplicas>()).Command;
        Assert.Equal(("host-a", 1), (replacement.HostId, Assert.Single(replacement.Replicas).Index));
    }
}
