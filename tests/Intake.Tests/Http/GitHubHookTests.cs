using System.Net;
using System.Text;
using System.Text.Json;
using Workers.Contracts.Messages;
using Workers.Contracts.Spec;
using Workers.Intake.Security;
using Workers.Intake.Tests.Support;

namespace Workers.Intake.Tests.Http;

public sealed class GitHubHookTests : IAsyncLifetime
{
    private const string PushIdentity = "push acme/web refs/tags/v1.4.2 0000000000000000000000000000000000000000..6113728f27ae82c7b1a177c8d03f9e96e0adf246 at 1557933657";

    private IntakeHarness _intake = null!;

    public async Task InitializeAsync() => _intake = await IntakeHarness.StartAsync();

    public async Task DisposeAsync() => await _intake.DisposeAsync();

    [Fact]
    public async Task Post_Ping_AnswersPongAndPublishesNothing()
    {
        using var response = await _intake.PostGitHubAsync("ping", Payloads.Read("ping.json"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("pong", JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("message").GetString());
        Assert.Empty(_intake.Dispatcher.Published);
    }

    [Fact]
    public async Task Post_SignedTagPush_Answers202AndPublishesTheTemplateWithTheTaggedImage()
    {
        using var response = await _intake.PostGitHubAsync("push", Payloads.Read("push-tag.json"));

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var request = Assert.IsType<DeploymentRequested>(Assert.Single(_intake.Dispatcher.Published));
        var spec = SpecParser.Parse(request.SpecText, request.Source).Spec!;
        Assert.Equal(("web", "ghcr.io/acme/web:v1.4.2", 2), (spec.Name.Value, spec.Image.ToString(), spec.Replicas));
        Assert.Equal("github:acme/web@refs/tags/v1.4.2 6113728f27ae at 2019-05-15T15:20:57Z by rule 0", request.RequestedBy);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal(request.CorrelationId, body.RootElement.GetProperty("deployments")[0].GetProperty("deploymentId").GetGuid());
    }

    [Fact]
    public async Task Post_PublishedRelease_DeploysTheVersionWithoutItsV()
    {
        using var response = await _intake.PostGitHubAsync("release", Payloads.Read("release-published.json"));

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var request = Assert.IsType<DeploymentRequested>(Assert.Single(_intake.Dispatcher.Published));
        Assert.Equal("ghcr.io/acme/web:2.0.0", SpecParser.Parse(request.SpecText, request.Source).Spec!.Image.ToString());
    }

    [Fact]
    public async Task Post_PublishedContainerPackage_DeploysThePublishedTagPinnedToItsDigest()
    {
        using var response = await _intake.PostGitHubAsync("registry_package", Payloads.Read("registry-package-published.json"));

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var request = Assert.IsType<DeploymentRequested>(Assert.Single(_intake.Dispatcher.Published));
        Assert.Equal("ghcr.io/acme/web:3.1.0@sha256:2f0ea8d9d9a3e9d12e0b1a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f", SpecParser.Parse(request.SpecText, request.Source).Spec!.Image.ToString());
    }

    [Fact]
    public async Task Post_SamePackageVersionAsPackageAfterRegistryPackage_DeploysOnce()
    {
        // GitHub sends both events for one publish to a hook subscribed to both names.
        var body = Payloads.Read("registry-package-published.json");
        var renamed = Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(body).Replace("\"registry_package\":", "\"package\":", StringComparison.Ordinal));

        using var first = await _intake.PostGitHubAsync("registry_package", body);
        using var second = await _intake.PostGitHubAsync("package", renamed);

        Assert.Equal((HttpStatusCode.Accepted, HttpStatusCode.OK), (first.StatusCode, second.StatusCode));
        Assert.Single(_intake.Dispatcher.Published);
    }

    [Fact]
    public async Task Post_BranchPushNoRuleMatches_Answers202SayingNothingMatched()
    {
        using var response = await _intake.PostGitHubAsync("push", Payloads.Read("push-branch.json"));

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.StartsWith("nothing matched", body.RootElement.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Equal(0, body.RootElement.GetProperty("deployments").GetArrayLength());
        Assert.Empty(_intake.Dispatcher.Published);
    }

    [Fact]
    public async Task Post_OneByteChanged_Answers401PublishesNothingAndLogsTheReasonWithoutSecretOrBody()
    {
        var body = Payloads.Read("push-tag.json");
        var signature = GitHubSignature.Sign(Encoding.UTF8.GetBytes(IntakeHarness.GitHubSecret), body);
        body[body.Length / 2] ^= 0x01;

        using var response = await _intake.PostGitHubAsync("push", body, delivery: "d-forged", signature: signature);

        await DeploymentApiTests.AssertProblemAsync(response, HttpStatusCode.Unauthorized);
        Assert.Empty(_intake.Dispatcher.Published);
        var line = Assert.Single(_intake.Logs.Lines, l => l.Contains("refused", StringComparison.Ordinal));
        Assert.Contains("d-forged", line, StringComparison.Ordinal);
        Assert.Contains("Mismatch", line, StringComparison.Ordinal);
        Assert.All(_intake.Logs.Lines, l =>
        {
            Assert.DoesNotContain("Secret to Everybody", l, StringComparison.Ordinal);
            Assert.DoesNotContain("6113728f", l, StringComparison.Ordinal);
            Assert.DoesNotContain(signature[7..], l, StringComparison.Ordinal);
        });
    }

    [Fact]
    public async Task Post_NoSignature_Answers401AndPublishesNothing()
    {
        using var response = await _intake.PostGitHubAsync("push", Payloads.Read("push-tag.json"), sign: false);

        await DeploymentApiTests.AssertProblemAsync(response, HttpStatusCode.Unauthorized);
        Assert.Empty(_intake.Dispatcher.Published);
        Assert.Contains(_intake.Logs.Lines, l => l.Contains("signature Missing", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Post_SignedWithAnotherSecret_Answers401()
    {
        var body = Payloads.Read("push-tag.json");

        using var response = await _intake.PostGitHubAsync("push", body, signature: GitHubSignature.Sign("another secret"u8, body));

        await DeploymentApiTests.AssertProblemAsync(response, HttpStatusCode.Unauthorized);
        Assert.Empty(_intake.Dispatcher.Published);
    }

    [Fact]
    public async Task Post_SameDeliveryTwice_DeploysOnce()
    {
        var delivery = Guid.NewGuid().ToString();

        using var first = await _intake.PostGitHubAsync("push", Payloads.Read("push-tag.json"), delivery);
        using var second = await _intake.PostGitHubAsync("push", Payloads.Read("push-tag.json"), delivery);

        Assert.Equal(HttpStatusCode.Accepted, first.StatusCode);
        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        Assert.Single(_intake.Dispatcher.Published);
        Assert.Contains("acted on before", await second.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Post_AcceptedPush_IsRecordedInTheStoreByWhatItIsForEveryInstance()
    {
        using var first = await _intake.PostGitHubAsync("push", Payloads.Read("push-tag.json"));

        // What a second instance of the intake would see: only the store remembers the push.
        Assert.False(await _intake.Store.TryClaimDeliveryAsync("github-event", PushIdentity, DateTimeOffset.UtcNow, CancellationToken.None));
    }

    [Fact]
    public async Task Post_DispatchFails_Answers500AndTheRedeliveryDeploys()
    {
        var delivery = Guid.NewGuid().ToString();
        _intake.Dispatcher.FailNext(1);

        await Assert.ThrowsAnyAsync<InvalidOperationException>(() => _intake.PostGitHubAsync("push", Payloads.Read("push-tag.json"), delivery));
        using var retry = await _intake.PostGitHubAsync("push", Payloads.Read("push-tag.json"), delivery);

        Assert.Equal(HttpStatusCode.Accepted, retry.StatusCode);
        Assert.Single(_intake.Dispatcher.Published);
    }

    [Fact]
    public async Task Post_SamePushUnderTwoDeliveryIds_HasTheSameDeploymentId()
    {
        // The id is derived from what the push is, so two copies racing past the store would still be one deployment.
        using var first = await _intake.PostGitHubAsync("push", Payloads.Read("push-tag.json"), Guid.NewGuid().ToString());
        await _intake.Store.ReleaseDeliveryAsync("github-event", PushIdentity, CancellationToken.None);
        using var second = await _intake.PostGitHubAsync("push", Payloads.Read("push-tag.json"), Guid.NewGuid().ToString());

        Assert.Equal(2, _intake.Dispatcher.Published.Count);
        Assert.Single(_intake.Dispatcher.Published.Cast<DeploymentRequested>().Select(r => r.CorrelationId).Distinct());
    }

    [Fact]
    public async Task Post_TagThatMakesAnInvalidImage_Answers422AndPublishesNothing()
    {
        var body = Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(Payloads.Read("push-tag.json")).Replace("refs/tags/v1.4.2", "refs/tags/v1+build", StringComparison.Ordinal));

        using var response = await _intake.PostGitHubAsync("push", body);

        await DeploymentApiTests.AssertProblemAsync(response, (HttpStatusCode)422);
        Assert.Empty(_intake.Dispatcher.Published);
    }
}
