using Workers.Contracts.Messages;
using Workers.Functions.Handlers;
using Workers.Functions.Tests.Support;

namespace Workers.Functions.Tests.Handlers;

public sealed class DeleteHandlerTests
{
    [Fact]
    public async Task HandleAsync_RunningDeployment_StopsPerHostAndIsDeletedAfterTheLastStop()
    {
        await using var h = await HandlerHarness.CreateAsync();
        await h.HeartbeatAsync("host-a");
        await h.HeartbeatAsync("host-b");
        var (id, planned) = await h.DeployAsync(Specs.Make("web", 3, "ports:\n  - container: 8080\n"));
        await h.StartAllAsync(planned);
        var delete = new DeleteDeployment(Guid.NewGuid(), Guid.NewGuid(), h.Time.GetUtcNow(), "web", "tester");

        var effects = await h.Delete.HandleAsync(delete, CancellationToken.None);

        Assert.Empty(effects.Published);
        var stops = effects.SentOf<StopReplicas>();
        Assert.Equal(["host-a", "host-b"], stops.Select(s => s.HostId).Order());
        Assert.Equal([0, 1, 2], stops.SelectMany(s => s.Command.Indexes).Order());
        Assert.Equal(DeploymentState.Deleting, (await h.Store.GetRevisionAsync(id, CancellationToken.None))!.State);

        var tracked = new List<Effects>();
        foreach (var (_, stop) in stops)
        {
            foreach (var index in stop.Indexes)
            {
                tracked.Add(await h.Track.HandleAsync(h.Stopped(stop, index), CancellationToken.None));
            }
        }

        Assert.All(tracked.SkipLast(1), t => Assert.Empty(t.Published));
        var deleted = Assert.IsType<DeploymentDeleted>(Assert.Single(tracked[^1].Published));
        Assert.Equal((id, "web"), (deleted.CorrelationId, deleted.Name));
        var status = await h.Query.HandleAsync(new GetDeploymentStatus(Guid.NewGuid(), Guid.NewGuid(), h.Time.GetUtcNow(), "web", null), CancellationToken.None);
        Assert.Empty(status.Deployments);
        // Their start commands, should a copy still arrive, could bring them up again until they expire: their ports
        // stay held until then, and are free once the sweep has seen them expire.
        var expiry = planned.SentOf<StartReplicas>().Select(s => s.Command.ExpiresAt).Distinct().Single();
        Assert.Equal([expiry, expiry, expiry], (await h.Store.GetReservationsAsync(CancellationToken.None)).Select(r => r.HeldUntil));
        h.Time.Advance(h.Options.CommandTimeToLive);
        await h.Sweep.HandleAsync(CancellationToken.None);
        Assert.Empty(await h.Store.GetReservationsAsync(CancellationToken.None));
    }

    [Fact]
    public async Task HandleAsync_LandingWhileARolloutAddsItsNextWave_TheWaveIsNotAddedAndTheDeletionFinishes()
    {
        await using var h = await HandlerHarness.CreateAsync();
        await h.HeartbeatAsync("host-a");
        const string policy = "ports:\n  - container: 8080\nupdate:\n  maxUnavailable: 1\n  maxSurge: 0\n";
        var (_, first) = await h.DeployAsync(Specs.Make("web", 2, policy));
        await h.StartAllAsync(first);
        var (v2, second) = await h.DeployAsync(Specs.Make("web", 2, policy + "env:\n  VERSION: \"2\"\n"));
        // The first wave stops one old replica to make room; the new one is added once that stop comes back.
        Assert.Empty(second.SentOf<StartReplicas>());
        var (_, stop) = Assert.Single(second.SentOf<StopReplicas>());
        var (store, interleave) = InterleavingStore.Over(h.Store);
        var track = new TrackHandler(store, h.Time, Microsoft.Extensions.Options.Options.Create(h.Options), h.Sealer);
        Effects? deleted = null;
        interleave.Before = async () => deleted = await h.Delete.HandleAsync(new DeleteDeployment(Guid.NewGuid(), Guid.NewGuid(), h.Time.GetUtcNow(), "web", "tester"), CancellationToken.None);

        // The stop comes back and Track takes the next wave; the delete lands between its reads and its write.
        var wave = await track.HandleAsync(h.Stopped(stop, Assert.Single(stop.Indexes)), CancellationToken.None);

        Assert.NotNull(deleted);
        Assert.Empty(wave.SentOf<StartReplicas>());
        Assert.Empty(await h.Store.GetReplicasAsync(v2, CancellationToken.None));
        var results = await h.ConvergeAsync(deleted);
        Assert.Single(results.SelectMany(r => r.PublishedOf<DeploymentDeleted>()));
        Assert.Empty(await h.Store.GetCurrentRevisionsAsync("web", CancellationToken.None));
    }

    [Fact]
    public async Task Sweep_AReplicaOfANameBeingDeletedStillRunning_StopsItOnceAndTheDeletionFinishes()
    {
        await using var h = await HandlerHarness.CreateAsync();
        await h.HeartbeatAsync("host-a");
        var (id, planned) = await h.DeployAsync(Specs.Make("web", 2));
        await h.StartAllAsync(planned);
        var delete = await h.Delete.HandleAsync(new DeleteDeployment(Guid.NewGuid(), Guid.NewGuid(), h.Time.GetUtcNow(), "web", "tester"), CancellationToken.None);
        var (_, stop) = Assert.Single(delete.SentOf<StopReplicas>());
        // Replica 1 runs on as though the delete had never seen it.
        Assert.Equal(1, await h.SqlAsync($"UPDATE replicas SET state = 'Running' WHERE deployment_id = '{id:D}' AND idx = 1"));
        Assert.Empty((await h.Track.HandleAsync(h.Stopped(stop, 0), CancellationToken.None)).PublishedOf<DeploymentDeleted>());

        var swept = await h.Sweep.HandleAsync(CancellationToken.None);
        var sweptAgain = await h.Sweep.HandleAsync(CancellationToken.None);

        var (host, again) = Assert.Single(swept.SentOf<StopReplicas>());
        Assert.Equal(("host-a", 1), (host, Assert.Single(again.Indexes)));
        Assert.Empty(sweptAgain.SentOf<StopReplicas>());
        var finished = await h.Track.HandleAsync(h.Stopped(again, 1), CancellationToken.None);
        Assert.Single(finished.PublishedOf<DeploymentDeleted>());
        Assert.Empty(await h.Store.GetCurrentRevisionsAsync("web", CancellationToken.None));
    }

    [Fact]
    public async Task HandleAsync_UnknownName_PublishesDeploymentDeletedAndSendsNothing()
    {
        await using var h = await HandlerHarness.CreateAsync();
        var delete = new DeleteDeployment(Guid.NewGuid(), Guid.NewGuid(), h.Time.GetUtcNow(), "nothing", "tester");

        var effects = await h.Delete.HandleAsync(delete, CancellationToken.None);

        Assert.Empty(effects.Sent);
        var deleted = Assert.IsType<DeploymentDeleted>(Assert.Single(effects.Published));
        Assert.Equal((delete.CorrelationId, "nothing"), (deleted.CorrelationId, deleted.Name));
    }
}
