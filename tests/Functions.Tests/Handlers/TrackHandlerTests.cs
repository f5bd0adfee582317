using Workers.Contracts.Messages;
using Workers.Functions.Tests.Support;

namespace Workers.Functions.Tests.Handlers;

public sealed class TrackHandlerTests
{
    [Fact]
    public async Task ReplicaStarted_EveryReplicaRunning_PublishesDeploymentSucceededOnce()
    {
        await using var h = await HandlerHarness.CreateAsync();
        await h.HeartbeatAsync("host-a");
        await h.HeartbeatAsync("host-b");
        var (id, planned) = await h.DeployAsync(Specs.Make("web", 2));
        var starts = planned.SentOf<StartReplicas>().Select(s => s.Command).ToList();

        var first = await h.Track.HandleAsync(h.Started(starts[0], starts[0].Replicas[0].Index), CancellationToken.None);
        var last = await h.Track.HandleAsync(h.Started(starts[1], starts[1].Replicas[0].Index), CancellationToken.None);
        var duplicate = await h.Track.HandleAsync(h.Started(starts[1], starts[1].Replicas[0].Index), CancellationToken.None);

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
    public async Task ReplicaStarted_RevisionTwoSucceeds_StopsRevisionOnesReplicas()
    {
        await using var h = await HandlerHarness.CreateAsync();
        await h.HeartbeatAsync("host-a");
        await h.HeartbeatAsync("host-b");
        var (v1, first) = await h.DeployAsync(Specs.Make("web", 2));
        await h.StartAllAsync(first);
        var (v2, second) = await h.DeployAsync(Specs.Make("web", 2, "env:\n  VERSION: \"2\"\n"));

        var results = await h.StartAllAsync(second);

        Assert.All(results.SkipLast(1), r => Assert.Empty(r.Sent));
        var last = results[^1];
        var succeeded = Assert.IsType<DeploymentSucceeded>(Assert.Single(last.Published));
        Assert.Equal((v2, 2L), (succeeded.CorrelationId, succeeded.Revision));
        var stops = last.SentOf<StopReplicas>();
        Assert.Equal(last.Sent.Count, stops.Count);
        Assert.All(stops, s => Assert.Equal((v1, 1L, "web", s.HostId), (s.Command.CorrelationId, s.Command.Revision, s.Command.Name, s.Command.HostId)));
        var v1Replicas = await h.Store.GetReplicasAsync(v1, CancellationToken.None);
        Assert.Equal(
            v1Replicas.Select(r => (r.HostId, r.Index)).Order(),
            stops.SelectMany(s => s.Command.Indexes.Select(i => (s.HostId, i))).Order());
        Assert.All(v1Replicas, r => Assert.Equal(ReplicaState.Stopping, r.State));
        Assert.Equal(DeploymentState.Superseded, (await h.Store.GetRevisionAsync(v1, CancellationToken.None))!.State);
        Assert.Equal(v2, Assert.Single(await h.Store.GetCurrentRevisionsAsync("web", CancellationToken.None)).DeploymentId);
    }

    [Fact]
    public async Task ReplicaStarted_RedeliveredAfterACrashBeforeTheOlderRevisionWasStopped_StillStopsIt()
    {
        await using var h = await HandlerHarness.CreateAsync();
        await h.HeartbeatAsync("host-a");
        var (v1, first) = await h.DeployAsync(Specs.Make("web", 1));
        await h.StartAllAsync(first);
        var (v2, second) = await h.DeployAsync(Specs.Make("web", 1, "env:\n  VERSION: \"2\"\n"));
        var start = second.SentOf<StartReplicas>().Single().Command;
        var started = h.Started(start, start.Replicas[0].Index);

        // The first delivery wrote the replica and the revision running, then its process died before the stops.
        await h.Store.UpdateReplicaAsync(v2, started.Index, ReplicaState.Running, started.ContainerId, started.Ports, null, h.Time.GetUtcNow(), CancellationToken.None);
        await h.Store.TransitionRevisionAsync(v2, [DeploymentState.Pending], DeploymentState.Running, null, h.Time.GetUtcNow(), CancellationToken.None);
        var redelivered = await h.Track.HandleAsync(started, CancellationToken.None);

        var stop = Assert.Single(redelivered.SentOf<StopReplicas>());
        Assert.Equal((v1, 1L), (stop.Command.CorrelationId, stop.Command.Revision));
        Assert.Equal(DeploymentState.Superseded, (await h.Store.GetRevisionAsync(v1, CancellationToken.None))!.State);
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
}
