using Workers.Contracts.Messages;
using Workers.Functions.Tests.Support;

namespace Workers.Functions.Tests.Handlers;

public sealed class DryRunHandlerTests
{
    [Fact]
    public async Task HandleAsync_ValidSpec_ReturnsPlacementsAndStoresNothing()
    {
        await using var h = await HandlerHarness.CreateAsync();
        await h.HeartbeatAsync("host-a");
        await h.HeartbeatAsync("host-b");
        var request = new PlanDeployment(Guid.NewGuid(), Guid.NewGuid(), h.Time.GetUtcNow(), Specs.Text("web", 4, "ports:\n  - container: 8080\n"), "web.yaml");

        var reply = await h.DryRun.HandleAsync(request, CancellationToken.None);

        Assert.Null(reply.Reason);
        Assert.Empty(reply.Problems);
        Assert.Equal([0, 1, 2, 3], reply.Placements.Select(p => p.Index).Order());
        Assert.Equal([2, 2], reply.Placements.GroupBy(p => p.HostId).Select(g => g.Count()));
        Assert.Null(await h.Store.GetRevisionAsync(request.CorrelationId, CancellationToken.None));
        Assert.Empty(await h.Store.GetCurrentRevisionsAsync(null, CancellationToken.None));
        Assert.Empty(await h.Store.GetReservationsAsync(CancellationToken.None));
    }

    [Fact]
    public async Task HandleAsync_HostPortTheOnlyAgentDoesNotAllow_IsRefusedWithTheAgentsReasonBeforeAnythingStarts()
    {
        await using var h = await HandlerHarness.CreateAsync();
        var allows = new HostAllowances(new HostPortRange(20000, 32000), [new HostPortRange(20000, 32000)], ["CHOWN", "NET_BIND_SERVICE"]);
        await h.Inventory.HandleAsync(
            new HostHeartbeat(Guid.NewGuid(), Guid.NewGuid(), h.Time.GetUtcNow(), "host-a", new Dictionary<string, string>(), "127.0.0.1", 4000, 8L << 30, 4000, 8L << 30, [], [], allows),
            CancellationToken.None);
        var request = new PlanDeployment(Guid.NewGuid(), Guid.NewGuid(), h.Time.GetUtcNow(), Specs.Text("web", 1, "ports:\n  - container: 8080\n    host: 8080\n"), "web.yaml");

        var reply = await h.DryRun.HandleAsync(request, CancellationToken.None);

        Assert.Empty(reply.Placements);
        Assert.Contains("host-a: its agent does not allow host port 8080/tcp", reply.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task HandleAsync_InvalidSpec_ReturnsTheProblemsAndNoPlacements()
    {
        await using var h = await HandlerHarness.CreateAsync();
        await h.HeartbeatAsync("host-a");
        var request = new PlanDeployment(Guid.NewGuid(), Guid.NewGuid(), h.Time.GetUtcNow(), "name: web\nimage: workers-test/httpd:1\nreplicas: 0\n", "web.yaml");

        var reply = await h.DryRun.HandleAsync(request, CancellationToken.None);

        Assert.Empty(reply.Placements);
        Assert.Equal("the spec is invalid: 1 problem(s)", reply.Reason);
        var problem = Assert.Single(reply.Problems);
        Assert.Equal(("web.yaml", "replicas", 3), (problem.File, problem.Path, problem.Line));
        Assert.Null(await h.Store.GetRevisionAsync(request.CorrelationId, CancellationToken.None));
    }

    [Fact]
    public async Task HandleAsync_NoHosts_ReturnsTheReasonAndNoPlacements()
    {
        await using var h = await HandlerHarness.CreateAsync();
        var request = new PlanDeployment(Guid.NewGuid(), Guid.NewGuid(), h.Time.GetUtcNow(), Specs.Text("web", 1), "web.yaml");

        var reply = await h.DryRun.HandleAsync(request, CancellationToken.None);

        Assert.Empty(reply.Placements);
        Assert.Contains("no hosts are known", reply.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task HandleAsync_RedeployWhoseUpdatePolicyCannotBeKept_SaysSoAndPlacesNothing()
    {
        await using var h = await HandlerHarness.CreateAsync();
        await h.HeartbeatAsync("host-a");
        const string fixedPort = "ports:\n  - container: 8080\n    host: 18080\n";
        var (_, planned) = await h.DeployAsync(Specs.Make("web", 1, fixedPort));
        await h.StartAllAsync(planned);
        await h.HeartbeatAsync("host-a", new HostPort(18080, Contracts.Spec.Protocol.Tcp));

        var reply = await h.DryRun.HandleAsync(
            new PlanDeployment(Guid.NewGuid(), Guid.NewGuid(), h.Time.GetUtcNow(), Specs.Text("web", 1, fixedPort + "env:\n  VERSION: \"2\"\n"), "web.yaml"),
            CancellationToken.None);

        Assert.Empty(reply.Placements);
        Assert.Contains("maxUnavailable 0", reply.Reason, StringComparison.Ordinal);
        Assert.Contains("cannot be kept", reply.Reason, StringComparison.Ordinal);
    }
}
