using Workers.Contracts.Messages;
using Workers.Functions.Tests.Support;

namespace Workers.Functions.Tests.Handlers;

public sealed class QueryHandlerTests
{
    [Fact]
    public async Task HandleAsync_ByName_ReturnsReplicasWithHostStateContainerAndPorts()
    {
        await using var h = await HandlerHarness.CreateAsync();
        await h.HeartbeatAsync("host-a");
        var (id, planned) = await h.DeployAsync(Specs.Make("web", 2, "ports:\n  - container: 8080\n"));
        var start = planned.SentOf<StartReplicas>().Single().Command;
        await h.Track.HandleAsync(h.Started(start, 0), CancellationToken.None);
        var query = new GetDeploymentStatus(Guid.NewGuid(), Guid.NewGuid(), h.Time.GetUtcNow(), "web", null);

        var reply = await h.Query.HandleAsync(query, CancellationToken.None);

        Assert.Equal(query.CorrelationId, reply.CorrelationId);
        var status = Assert.Single(reply.Deployments);
        Assert.Equal(("web", id, 1L, DeploymentState.Pending, Specs.Image), (status.Name, status.DeploymentId, status.Revision, status.State, status.Image));
        Assert.Collection(
            status.Replicas,
            r =>
            {
                Assert.Equal((0, "host-a", ReplicaState.Running, "container-1-0", ReplicaHealth.Starting), (r.Index, r.HostId, r.State, r.ContainerId, r.Health));
                Assert.Equal(start.Replicas.Single(a => a.Index == 0).Ports, r.Ports);
                Assert.Equal($"127.0.0.1:{r.Ports[0].HostPort}", r.Address);
            },
            r =>
            {
                Assert.Equal((1, "host-a", ReplicaState.Pending, (string?)null, (ReplicaHealth?)null, (string?)null), (r.Index, r.HostId, r.State, r.ContainerId, r.Health, r.Address));
                Assert.Equal(start.Replicas.Single(a => a.Index == 1).Ports, r.Ports);
            });
    }

    [Fact]
    public async Task HandleAsync_HostHeartbeatOverdue_ShowsItsRunningReplicasHealthAsUnknown()
    {
        await using var h = await HandlerHarness.CreateAsync();
        await h.HeartbeatAsync("host-a");
        await h.HeartbeatAsync("host-b");
        var (_, planned) = await h.DeployAsync(Specs.Make("web", 2, "ports:\n  - container: 8080\n"));
        await h.StartAllAsync(planned);

        // host-b keeps beating, host-a has gone quiet past the host timeout (not yet swept).
        h.Time.Advance(h.Options.HostTimeout + TimeSpan.FromSeconds(1));
        await h.HeartbeatRunningAsync("host-b", [.. h.RunningOn(planned, "host-b")]);
        var reply = await h.Query.HandleAsync(new GetDeploymentStatus(Guid.NewGuid(), Guid.NewGuid(), h.Time.GetUtcNow(), "web", null), CancellationToken.None);

        var replicas = Assert.Single(reply.Deployments).Replicas;
        Assert.Equal(ReplicaHealth.Unknown, replicas.Single(r => r.HostId == "host-a").Health);
        Assert.Equal(ReplicaHealth.Healthy, replicas.Single(r => r.HostId == "host-b").Health);
    }

    [Fact]
    public async Task HandleAsync_ByName_ReplicaLostAndReplaced_LeavesTheViewButStaysInTheRevisionsRecord()
    {
        await using var h = await HandlerHarness.CreateAsync();
        await h.HeartbeatAsync("host-a");
        await h.HeartbeatAsync("host-b");
        var (id, planned) = await h.DeployAsync(Specs.Make("web", 2, "ports:\n  - container: 8080\n"));
        await h.StartAllAsync(planned);
        h.Time.Advance(h.Options.HostTimeout + TimeSpan.FromSeconds(1));
        await h.HeartbeatRunningAsync("host-b", [.. h.RunningOn(planned, "host-b")]);
        await h.Sweep.HandleAsync(CancellationToken.None);

        var byName = Assert.Single((await h.Query.HandleAsync(new GetDeploymentStatus(Guid.NewGuid(), Guid.NewGuid(), h.Time.GetUtcNow(), "web", null), CancellationToken.None)).Deployments);
        var byId = Assert.Single((await h.Query.HandleAsync(new GetDeploymentStatus(Guid.NewGuid(), Guid.NewGuid(), h.Time.GetUtcNow(), null, id), CancellationToken.None)).Deployments);

        Assert.Equal(2, byName.Replicas.Count);
        Assert.DoesNotContain(byName.Replicas, r => r.State == ReplicaState.Lost);
        Assert.Contains("sent no heartbeat", Assert.Single(byId.Replicas, r => r.State == ReplicaState.Lost).Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task HandleAsync_ByName_ReplicaLostWithNoRoomForAReplacement_StaysInViewWithItsReason()
    {
        await using var h = await HandlerHarness.CreateAsync();
        await h.HeartbeatAsync("host-a");
        await h.HeartbeatAsync("host-b");
        var (_, planned) = await h.DeployAsync(Specs.Make("web", 2, "ports:\n  - container: 8080\n    host: 18080\n"));
        await h.StartAllAsync(planned);
        h.Time.Advance(h.Options.HostTimeout + TimeSpan.FromSeconds(1));
        await h.HeartbeatRunningAsync("host-b", [.. h.RunningOn(planned, "host-b")]);
        await h.Sweep.HandleAsync(CancellationToken.None);

        var status = Assert.Single((await h.Query.HandleAsync(new GetDeploymentStatus(Guid.NewGuid(), Guid.NewGuid(), h.Time.GetUtcNow(), "web", null), CancellationToken.None)).Deployments);

        Assert.Equal(DeploymentState.Running, status.State);
        Assert.Equal(2, status.Replicas.Count);
        Assert.Contains("sent no heartbeat", Assert.Single(status.Replicas, r => r.HostId == "host-a").Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task HandleAsync_ByDeploymentIdOfARejectedRequest_ReturnsItsProblems()
    {
        await using var h = await HandlerHarness.CreateAsync();
        var request = new DeploymentRequested(Guid.NewGuid(), Guid.NewGuid(), h.Time.GetUtcNow(), "name: web\nimage: workers-test/httpd:1\nreplicas: 0\n", "web.yaml", "alice");
        await h.Validate.HandleAsync(request, CancellationToken.None);

        var reply = await h.Query.HandleAsync(new GetDeploymentStatus(Guid.NewGuid(), request.CorrelationId, h.Time.GetUtcNow(), null, request.CorrelationId), CancellationToken.None);

        var status = Assert.Single(reply.Deployments);
        Assert.Equal((DeploymentState.Rejected, "web"), (status.State, status.Name));
        Assert.Equal("replicas", Assert.Single(status.Problems).Path);
        Assert.Empty(status.Replicas);
    }

    [Fact]
    public async Task HandleAsync_GetHosts_MarksHostsWithAStaleHeartbeatNotLive()
    {
        await using var h = await HandlerHarness.CreateAsync();
        await h.HeartbeatAsync("host-old");
        h.Time.Advance(h.Options.HostTimeout + TimeSpan.FromSeconds(1));
        await h.HeartbeatAsync("host-new");

        var reply = await h.Query.HandleAsync(new GetHosts(Guid.NewGuid(), Guid.NewGuid(), h.Time.GetUtcNow()), CancellationToken.None);

        Assert.Equal([("host-new", true), ("host-old", false)], reply.Hosts.Select(x => (x.HostId, x.Live)));
    }
}
