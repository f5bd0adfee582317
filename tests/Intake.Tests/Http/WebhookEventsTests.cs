using System.Net;
using Workers.Functions.Store;
using Workers.Intake.Tests.Support;

namespace Workers.Intake.Tests.Http;

/// <summary>
/// Webhook deliveries in the event history: each deployment a verified delivery requested is a <c>webhook.accepted</c>,
/// a verified delivery that deploys nothing a <c>webhook.refused</c> with the reason; a delivery sent again is recorded
/// once, and one whose signature fails writes nothing to the store.
/// </summary>
public sealed class WebhookEventsTests : IAsyncLifetime
{
    private IntakeHarness _intake = null!;

    public async Task InitializeAsync() => _intake = await IntakeHarness.StartAsync();

    public async Task DisposeAsync() => await _intake.DisposeAsync();

    [Fact]
    public async Task GitHub_TagPushSentTwice_IsOneAcceptedEventNamingTheDeploymentAndImage()
    {
        var delivery = Guid.NewGuid().ToString();

        using var first = await _intake.PostGitHubAsync("push", Payloads.Read("push-tag.json"), delivery);
        using var again = await _intake.PostGitHubAsync("push", Payloads.Read("push-tag.json"), delivery);

        Assert.Equal((HttpStatusCode.Accepted, HttpStatusCode.OK), (first.StatusCode, again.StatusCode));
        var accepted = Assert.Single(await EventsAsync(), e => e.Kind.StartsWith("webhook.", StringComparison.Ordinal));
        Assert.Equal("webhook.accepted", accepted.Kind);
        Assert.NotNull(accepted.Name);
        Assert.StartsWith($"github delivery {delivery}: push of ", accepted.Message, StringComparison.Ordinal);
        Assert.Contains(" deploys ", accepted.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task GitHub_BranchPushNoRuleMatches_IsARefusedEventWithTheReason()
    {
        using var response = await _intake.PostGitHubAsync("push", Payloads.Read("push-branch.json"), "d-branch");

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var refused = Assert.Single(await EventsAsync());
        Assert.Equal("webhook.refused", refused.Kind);
        Assert.StartsWith("github delivery d-branch: nothing matched: no trigger rule matches push of ", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task GitHub_SignatureFails_WritesNoEvent()
    {
        using var response = await _intake.PostGitHubAsync("push", Payloads.Read("push-tag.json"), signature: "sha256=00");

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Empty(await EventsAsync());
    }

    [Fact]
    public async Task Events_DeployOfAnUnknownNameWithoutSpec_IsARefusedEventForThatName()
    {
        using var response = await _intake.PostEventAsync("""{"type": "deployment.requested", "data": {"name": "ghost", "image": "ghcr.io/acme/ghost:1"}}""", id: "msg_ghost");

        Assert.Equal((HttpStatusCode)422, response.StatusCode);
        var refused = Assert.Single(await EventsAsync());
        Assert.Equal(("webhook.refused", "ghost"), (refused.Kind, refused.Name));
        Assert.Equal("events delivery msg_ghost: there is no deployment named 'ghost' to give a new image; send data.spec to create it", refused.Message);
    }

    [Fact]
    public async Task Events_DeployWithASpec_IsAnAcceptedEventWithTheImage()
    {
        using var response = await _intake.PostEventAsync("""{"type": "deployment.requested", "data": {"name": "fresh", "image": "ghcr.io/acme/fresh:7", "spec": "name: fresh\nimage: placeholder:0\n"}}""", id: "msg_fresh");

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var accepted = Assert.Single(await EventsAsync());
        Assert.Equal(("webhook.accepted", "fresh", "events delivery msg_fresh: deploys ghcr.io/acme/fresh:7"), (accepted.Kind, accepted.Name, accepted.Message));
    }

    private async Task<IReadOnlyList<Contracts.Messages.WorkersEvent>> EventsAsync() =>
        await _intake.Store.GetEventsAsync(new EventQuery(Limit: 100), CancellationToken.None);
}
