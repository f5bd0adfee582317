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
        Assert.Empty(await h.Store.GetReservationsAsync(CancellationToken.None));
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
