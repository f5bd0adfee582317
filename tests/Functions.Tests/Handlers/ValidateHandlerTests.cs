using Workers.Contracts.Messages;
using Workers.Functions.Tests.Support;

namespace Workers.Functions.Tests.Handlers;

public sealed class ValidateHandlerTests
{
    private const string InvalidSpec = "name: web\nimage: workers-test/httpd:1\nreplicas: 0\nports:\n  - container: 70000\n";

    [Fact]
    public async Task HandleAsync_ValidSpec_PublishesDeploymentAccepted()
    {
        await using var h = await HandlerHarness.CreateAsync();
        var request = new DeploymentRequested(Guid.NewGuid(), Guid.NewGuid(), h.Time.GetUtcNow(), Specs.Text("web", 2), "web.yaml", "alice");

        var effects = await h.Validate.HandleAsync(request, CancellationToken.None);

        var accepted = Assert.IsType<DeploymentAccepted>(Assert.Single(effects.Published));
        Assert.Equal((request.CorrelationId, "web", 2, "alice"), (accepted.CorrelationId, accepted.Spec.Name.Value, accepted.Spec.Replicas, accepted.RequestedBy));
        Assert.Empty(effects.Sent);
        Assert.Null(await h.Store.GetRevisionAsync(request.CorrelationId, CancellationToken.None));
    }

    [Fact]
    public async Task HandleAsync_InvalidSpec_PublishesRejectedWithEveryProblemAndRecordsIt()
    {
        await using var h = await HandlerHarness.CreateAsync();
        var request = new DeploymentRequested(Guid.NewGuid(), Guid.NewGuid(), h.Time.GetUtcNow(), InvalidSpec, "web.yaml", "alice");

        var effects = await h.Validate.HandleAsync(request, CancellationToken.None);

        var rejected = Assert.IsType<DeploymentRejected>(Assert.Single(effects.Published));
        Assert.Equal((request.CorrelationId, "web"), (rejected.CorrelationId, rejected.Name));
        Assert.Equal("the spec is invalid: 2 problem(s)", rejected.Reason);
        Assert.Equal(
            [("web.yaml", "replicas", 3), ("web.yaml", "ports[0].container", 5)],
            rejected.Problems.Select(p => (p.File, p.Path, p.Line)));
        Assert.Empty(effects.Sent);
        var record = await h.Store.GetRevisionAsync(request.CorrelationId, CancellationToken.None);
        Assert.NotNull(record);
        Assert.Equal((DeploymentState.Rejected, "web", rejected.Reason), (record.State, record.Name, record.Reason));
        Assert.Equal(rejected.Problems, record.Problems);
    }

    [Fact]
    public async Task HandleAsync_InvalidSpecRedelivered_RejectsAgainAndKeepsOneRecord()
    {
        await using var h = await HandlerHarness.CreateAsync();
        var request = new DeploymentRequested(Guid.NewGuid(), Guid.NewGuid(), h.Time.GetUtcNow(), InvalidSpec, "web.yaml", "alice");
        await h.Validate.HandleAsync(request, CancellationToken.None);
        var first = await h.Store.GetRevisionAsync(request.CorrelationId, CancellationToken.None);
        h.Time.Advance(TimeSpan.FromMinutes(1));

        var again = await h.Validate.HandleAsync(request, CancellationToken.None);

        Assert.IsType<DeploymentRejected>(Assert.Single(again.Published));
        var record = await h.Store.GetRevisionAsync(request.CorrelationId, CancellationToken.None);
        Assert.Equal(first!.UpdatedAt, record!.UpdatedAt);
        Assert.Equal(first.Problems, record.Problems);
    }
}
