using System.Net;
using Workers.Contracts.Messages;
using Workers.Contracts.Spec;
using Workers.Intake.Tests.Support;

namespace Workers.Intake.Tests.Http;

public sealed class EventsHookTests : IAsyncLifetime
{
    private IntakeHarness _intake = null!;

    public async Task InitializeAsync() => _intake = await IntakeHarness.StartAsync();

    public async Task DisposeAsync() => await _intake.DisposeAsync();

    [Fact]
    public async Task Post_DeployOfARunningDeployment_PublishesItsSpecWithTheNewImage()
    {
        var running = SpecParser.Parse("name: shop\nimage: ghcr.io/acme/shop:1\nreplicas: 3\n", "shop.yaml").Spec!;
        await _intake.Store.SavePlanAsync(Guid.NewGuid(), running, "test", [], [], _intake.Time.GetUtcNow(), CancellationToken.None);

        using var response = await _intake.PostEventAsync("""{"type": "deployment.requested", "data": {"name": "shop", "image": "ghcr.io/acme/shop:2"}}""");

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var request = Assert.IsType<DeploymentRequested>(Assert.Single(_intake.Dispatcher.Published));
        var spec = SpecParser.Parse(request.SpecText, request.Source).Spec!;
        Assert.Equal(("shop", "ghcr.io/acme/shop:2", 3), (spec.Name.Value, spec.Image.ToString(), spec.Replicas));
    }

    [Fact]
    public async Task Post_DeployWithASpec_PublishesThatSpecWithTheImage()
    {
        using var response = await _intake.PostEventAsync("""{"type": "deployment.requested", "data": {"name": "fresh", "image": "ghcr.io/acme/fresh:7", "spec": "name: fresh\nimage: placeholder:0\n"}}""");

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var request = Assert.IsType<DeploymentRequested>(Assert.Single(_intake.Dispatcher.Published));
        Assert.Equal("ghcr.io/acme/fresh:7", SpecParser.Parse(request.SpecText, request.Source).Spec!.Image.ToString());
    }

    [Fact]
    public async Task Post_UnknownNameWithoutSpec_Answers422AndPublishesNothing()
    {
        using var response = await _intake.PostEventAsync("""{"type": "deployment.requested", "data": {"name": "ghost", "image": "ghcr.io/acme/ghost:1"}}""");

        await DeploymentApiTests.AssertProblemAsync(response, (HttpStatusCode)422);
        Assert.Empty(_intake.Dispatcher.Published);
    }

    [Theory]
    [InlineData("""{"type": "something.else", "data": {"name": "a", "image": "b:1"}}""")]
    [InlineData("""{"type": "deployment.requested", "data": {"name": "a"}}""")]
    [InlineData("not json")]
    public async Task Post_OtherShapes_Answers422(string body)
    {
        using var response = await _intake.PostEventAsync(body);

        await DeploymentApiTests.AssertProblemAsync(response, (HttpStatusCode)422);
        Assert.Empty(_intake.Dispatcher.Published);
    }

    [Fact]
    public async Task Post_TimestampSixMinutesOld_Answers401AndPublishesNothing()
    {
        var old = _intake.Time.GetUtcNow().AddMinutes(-6).ToUnixTimeSeconds();

        using var response = await _intake.PostEventAsync("""{"type": "deployment.requested", "data": {"name": "x", "image": "x:1", "spec": "name: x\nimage: x:1\n"}}""", timestamp: old);

        await DeploymentApiTests.AssertProblemAsync(response, HttpStatusCode.Unauthorized);
        Assert.Empty(_intake.Dispatcher.Published);
        Assert.Contains(_intake.Logs.Lines, l => l.Contains("signature OutsideTolerance", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Post_BadSignature_Answers401()
    {
        using var response = await _intake.PostEventAsync("""{"type": "deployment.requested", "data": {"name": "x", "image": "x:1"}}""", signature: "v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc=");

        await DeploymentApiTests.AssertProblemAsync(response, HttpStatusCode.Unauthorized);
        Assert.Empty(_intake.Dispatcher.Published);
    }

    [Fact]
    public async Task Post_SameWebhookIdTwice_DeploysOnce()
    {
        const string body = """{"type": "deployment.requested", "data": {"name": "twice", "image": "x:2", "spec": "name: twice\nimage: x:1\n"}}""";

        using var first = await _intake.PostEventAsync(body, id: "msg_same");
        using var second = await _intake.PostEventAsync(body, id: "msg_same");

        Assert.Equal((HttpStatusCode.Accepted, HttpStatusCode.OK), (first.StatusCode, second.StatusCode));
        Assert.Single(_intake.Dispatcher.Published);
    }
}
