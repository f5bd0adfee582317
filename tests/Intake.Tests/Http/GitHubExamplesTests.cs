using System.Net;
using System.Text.Json;
using Workers.Contracts.Messages;
using Workers.Contracts.Spec;
using Workers.Intake.Tests.Support;

namespace Workers.Intake.Tests.Http;

/// <summary>
/// GitHub's own published payload examples (Payloads/octokit, from <c>@octokit/webhooks-examples</c>), each signed and
/// posted over real HTTP (Kestrel on 127.0.0.1) to an intake with a rule for each kind.
/// </summary>
public sealed class GitHubExamplesTests : IAsyncLifetime
{
    private const string Template = "name: hello\nimage: ghcr.io/codertocat/hello-world:latest\nports:\n  - container: 8080\n";

    private IntakeHarness _intake = null!;

    public async Task InitializeAsync() => _intake = await IntakeHarness.StartAsync(Settings(), overHttp: true);

    public async Task DisposeAsync() => await _intake.DisposeAsync();

    [Theory]
    [InlineData("push.0.json", "push", "ghcr.io/codertocat/hello-world:6113728")]
    [InlineData("push.4.json", "push", "ghcr.io/codertocat/hello-world:6113728")]
    [InlineData("push.5.json", "push", "ghcr.io/codertocat/hello-world:6113728")]
    [InlineData("release.0.json", "release", "ghcr.io/codertocat/hello-world:0.0.1")]
    [InlineData("release.10.json", "release", "ghcr.io/codertocat/hello-world:0.0.1")]
    [InlineData("release.11.json", "release", "ghcr.io/codertocat/hello-world:0.0.1")]
    [InlineData("package.0.json", "package", "ghcr.io/codertocat/hello-world-npm:1.0.0")]
    [InlineData("package.2.json", "package", "ghcr.io/codertocat/hello-world-npm:1.0.0")]
    [InlineData("package.1.json", "package", "ghcr.io/codertocat/hello-world-npm@sha256:3da1996a8115d7616457760d9920b815241d0a03b34cf5f04e9a0e9d8de37498")]
    [InlineData("registry_package.0.json", "registry_package", "ghcr.io/codertocat/hello-world-npm@sha256:3da1996a8115d7616457760d9920b815241d0a03b34cf5f04e9a0e9d8de37498")]
    public async Task Post_PublishingExample_Answers202AndDeploysTheImageItNames(string file, string @event, string image)
    {
        using var response = await _intake.PostGitHubAsync(@event, Payloads.Read(Path.Combine("octokit", file)));

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var request = Assert.IsType<DeploymentRequested>(Assert.Single(_intake.Dispatcher.Published));
        Assert.Equal(image, SpecParser.Parse(request.SpecText, request.Source).Spec!.Image.ToString());
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal(image, body.RootElement.GetProperty("deployments")[0].GetProperty("image").GetString());
    }

    [Theory]
    [InlineData("push.1.json", "push", "deletes its ref")]
    [InlineData("push.2.json", "push", "deletes its ref")]
    [InlineData("push.3.json", "push", "deletes its ref")]
    [InlineData("push.6.json", "push", "deletes its ref")]
    [InlineData("release.1.json", "release", "'created' is not 'published'")]
    [InlineData("release.2.json", "release", "'created' is not 'published'")]
    [InlineData("release.3.json", "release", "'created' is not 'published'")]
    [InlineData("release.4.json", "release", "'deleted' is not 'published'")]
    [InlineData("release.5.json", "release", "'deleted' is not 'published'")]
    [InlineData("release.6.json", "release", "'edited' is not 'published'")]
    [InlineData("release.7.json", "release", "'edited' is not 'published'")]
    [InlineData("release.8.json", "release", "'prereleased' is not 'published'")]
    [InlineData("release.9.json", "release", "'prereleased' is not 'published'")]
    [InlineData("release.12.json", "release", "'released' is not 'published'")]
    public async Task Post_DeletionOrUnpublishedExample_Answers202SayingWhyAndDeploysNothing(string file, string @event, string reason)
    {
        using var response = await _intake.PostGitHubAsync(@event, Payloads.Read(Path.Combine("octokit", file)));

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.StartsWith("nothing matched", body.RootElement.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Contains(reason, body.RootElement.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Empty(_intake.Dispatcher.Published);
    }

    [Theory]
    [InlineData("ping.0.json")]
    [InlineData("ping.1.json")]
    [InlineData("ping.2.json")]
    [InlineData("ping.3.json")]
    public async Task Post_PingExample_AnswersPongAndDeploysNothing(string file)
    {
        using var response = await _intake.PostGitHubAsync("ping", Payloads.Read(Path.Combine("octokit", file)));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("pong", JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("message").GetString());
        Assert.Empty(_intake.Dispatcher.Published);
    }

    [Fact]
    public async Task Post_UntaggedContainerVersionToATagRuleOnly_Answers202NamingTheMissingTag()
    {
        var settings = Settings();
        settings.Remove("Workers:Intake:Triggers:3:Repository");
        settings.Remove("Workers:Intake:Triggers:3:Event");
        settings.Remove("Workers:Intake:Triggers:3:Spec");
        settings.Remove("Workers:Intake:Triggers:3:Image");
        await using var intake = await IntakeHarness.StartAsync(settings, overHttp: true);

        using var response = await intake.PostGitHubAsync("package", Payloads.Read(Path.Combine("octokit", "package.1.json")));

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.Contains("{tag}", JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Empty(intake.Dispatcher.Published);
    }

    private static Dictionary<string, string?> Settings() => new()
    {
        ["WORKERS_API_TOKENS"] = IntakeHarness.Token,
        ["WORKERS_GITHUB_SECRET"] = IntakeHarness.GitHubSecret,
        ["Workers:Intake:Triggers:0:Repository"] = "Codertocat/Hello-World",
        ["Workers:Intake:Triggers:0:Event"] = "push",
        ["Workers:Intake:Triggers:0:Spec"] = Template,
        ["Workers:Intake:Triggers:0:Image"] = "ghcr.io/{repository}:{short_sha}",
        ["Workers:Intake:Triggers:1:Repository"] = "Codertocat/Hello-World",
        ["Workers:Intake:Triggers:1:Event"] = "release",
        ["Workers:Intake:Triggers:1:Ref"] = "refs/tags/*",
        ["Workers:Intake:Triggers:1:Spec"] = Template,
        ["Workers:Intake:Triggers:1:Image"] = "ghcr.io/{repository}:{version}",
        ["Workers:Intake:Triggers:2:Repository"] = "Codertocat/hello-world-npm",
        ["Workers:Intake:Triggers:2:Event"] = "package",
        ["Workers:Intake:Triggers:2:Package"] = "hello-world-npm",
        ["Workers:Intake:Triggers:2:Spec"] = Template,
        ["Workers:Intake:Triggers:2:Image"] = "ghcr.io/{repository}:{tag}",
        ["Workers:Intake:Triggers:3:Repository"] = "Codertocat/hello-world-npm",
        ["Workers:Intake:Triggers:3:Event"] = "registry_package",
        ["Workers:Intake:Triggers:3:Spec"] = Template,
        ["Workers:Intake:Triggers:3:Image"] = "ghcr.io/{repository}@{digest}",
    };
}
