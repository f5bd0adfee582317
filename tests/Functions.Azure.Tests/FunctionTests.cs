using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Workers.Contracts.Messages;
using Workers.Contracts.Spec;
using Workers.Functions.Handlers;
using Workers.Intake;
using Workers.Intake.Events;
using Workers.Intake.GitHub;
using Workers.Intake.Security;

namespace Workers.Functions.Azure.Tests;

public sealed class FunctionTests : IAsyncLifetime
{
    private readonly FunctionHarness _harness = new();

    public Task InitializeAsync() => _harness.StartAsync();

    public async Task DisposeAsync() => await _harness.DisposeAsync();

    private IntakeFunctions Intake(IServiceScope scope) => new(scope.ServiceProvider.GetRequiredService<DeploymentIntake>(), scope.ServiceProvider.GetRequiredService<SecretsIntake>());

    private HookFunctions Hooks(IServiceScope scope) =>
        new(scope.ServiceProvider.GetRequiredService<GitHubHookHandler>(), scope.ServiceProvider.GetRequiredService<EventsHookHandler>());

    [Fact]
    public async Task PostDeployment_ValidSpecWithToken_Answers202WithLocationAndPublishes()
    {
        using var scope = _harness.Services.CreateScope();
        var request = _harness.Request("POST", "name: shop\nimage: ghcr.io/acme/shop:1\n", "application/yaml", new Dictionary<string, string> { ["Authorization"] = $"Bearer {FunctionHarness.Token}" });

        var response = await FunctionHarness.ExecuteAsync(request, await Intake(scope).PostDeployment(request, CancellationToken.None));

        Assert.Equal((202, "/api/deployments/shop"), (response.Status, response.Location));
        var published = Assert.IsType<DeploymentRequested>(Assert.Single(_harness.Dispatcher.Published));
        Assert.Equal(published.CorrelationId, JsonDocument.Parse(response.Body).RootElement.GetProperty("deploymentId").GetGuid());
    }

    [Fact]
    public async Task PostDeployment_NoToken_Answers401ProblemJson()
    {
        using var scope = _harness.Services.CreateScope();
        var request = _harness.Request("POST", "name: shop\nimage: ghcr.io/acme/shop:1\n", "application/yaml");

        var response = await FunctionHarness.ExecuteAsync(request, await Intake(scope).PostDeployment(request, CancellationToken.None));

        Assert.Equal((401, "application/problem+json"), (response.Status, response.ContentType));
        Assert.Empty(_harness.Dispatcher.Published);
    }

    [Fact]
    public async Task PostDeployment_InvalidSpec_Answers422WithEveryProblem()
    {
        using var scope = _harness.Services.CreateScope();
        const string spec = "name: Shop\nimage: ghcr.io/acme/shop:1\nreplicas: 0\n";
        var request = _harness.Request("POST", spec, "application/yaml", new Dictionary<string, string> { ["Authorization"] = $"Bearer {FunctionHarness.Token}" });

        var response = await FunctionHarness.ExecuteAsync(request, await Intake(scope).PostDeployment(request, CancellationToken.None));

        Assert.Equal(422, response.Status);
        Assert.Equal(SpecParser.Parse(spec, "request.yaml").Problems.Count, JsonDocument.Parse(response.Body).RootElement.GetProperty("problems").GetArrayLength());
    }

    [Fact]
    public async Task GetDeploymentAndHostsAndDelete_KnownDeployment_AnswerLikeTheSelfHostedApi()
    {
        var spec = SpecParser.Parse("name: shop\nimage: ghcr.io/acme/shop:1\n", "shop.yaml").Spec!;
        await _harness.Store.SavePlanAsync(Guid.NewGuid(), spec, "test", [], [], _harness.Time.GetUtcNow(), CancellationToken.None);
        var token = new Dictionary<string, string> { ["Authorization"] = $"Bearer {FunctionHarness.Token}" };
        using var scope = _harness.Services.CreateScope();

        var get = _harness.Request("GET", headers: token);
        var status = await FunctionHarness.ExecuteAsync(get, await Intake(scope).GetDeployment(get, "shop", CancellationToken.None));
        var hosts = _harness.Request("GET", headers: token);
        var hostList = await FunctionHarness.ExecuteAsync(hosts, await Intake(scope).GetHosts(hosts, CancellationToken.None));
        var delete = _harness.Request("DELETE", headers: token);
        var deleted = await FunctionHarness.ExecuteAsync(delete, await Intake(scope).DeleteDeployment(delete, "shop", CancellationToken.None));

        Assert.Equal((200, "shop"), (status.Status, JsonDocument.Parse(status.Body).RootElement.GetProperty("name").GetString()));
        Assert.Equal((200, "[]"), (hostList.Status, hostList.Body));
        Assert.Equal(202, deleted.Status);
        Assert.Equal("shop", Assert.IsType<DeleteDeployment>(Assert.Single(_harness.Dispatcher.Published)).Name);
    }

    [Fact]
    public async Task GitHubHook_SignedTagPush_DeploysTheMappedImage()
    {
        const string body = """{"ref": "refs/tags/v5.0.1", "after": "6113728f27ae82c7b1a177c8d03f9e96e0adf246", "deleted": false, "repository": {"full_name": "acme/web"}}""";
        using var scope = _harness.Services.CreateScope();
        var request = _harness.Request("POST", body, "application/json", new Dictionary<string, string>
        {
            ["X-GitHub-Event"] = "push",
            ["X-GitHub-Delivery"] = Guid.NewGuid().ToString(),
            ["X-Hub-Signature-256"] = GitHubSignature.Sign(Encoding.UTF8.GetBytes(FunctionHarness.GitHubSecret), Encoding.UTF8.GetBytes(body)),
        });

        var response = await FunctionHarness.ExecuteAsync(request, await Hooks(scope).GitHubHook(request, CancellationToken.None));

        Assert.Equal(202, response.Status);
        var published = Assert.IsType<DeploymentRequested>(Assert.Single(_harness.Dispatcher.Published));
        Assert.Equal("ghcr.io/acme/web:v5.0.1", SpecParser.Parse(published.SpecText, published.Source).Spec!.Image.ToString());
    }

    [Fact]
    public async Task GitHubHook_Unsigned_Answers401AndPublishesNothing()
    {
        using var scope = _harness.Services.CreateScope();
        var request = _harness.Request("POST", """{"ref": "refs/tags/v5.0.1", "repository": {"full_name": "acme/web"}}""", "application/json", new Dictionary<string, string>
        {
            ["X-GitHub-Event"] = "push",
            ["X-GitHub-Delivery"] = Guid.NewGuid().ToString(),
        });

        var response = await FunctionHarness.ExecuteAsync(request, await Hooks(scope).GitHubHook(request, CancellationToken.None));

        Assert.Equal(401, response.Status);
        Assert.Empty(_harness.Dispatcher.Published);
    }

    [Fact]
    public async Task EventsHook_NoSecretConfigured_Answers401()
    {
        using var scope = _harness.Services.CreateScope();
        var request = _harness.Request("POST", "{}", "application/json", new Dictionary<string, string>
        {
            ["webhook-id"] = "msg_1",
            ["webhook-timestamp"] = _harness.Time.GetUtcNow().ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["webhook-signature"] = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
        });

        var response = await FunctionHarness.ExecuteAsync(request, await Hooks(scope).EventsHook(request, CancellationToken.None));

        Assert.Equal(401, response.Status);
    }

    [Fact]
    public async Task Sweep_StopPastItsDeadline_TheSweepsEffectsAreDispatchedAndTheStoreMoves()
    {
        var spec = SpecParser.Parse("name: stuck\nimage: ghcr.io/acme/stuck:1\n", "stuck.yaml").Spec!;
        var id = Guid.NewGuid();
        await _harness.Store.SavePlanAsync(id, spec, "test", [new ReplicaPlacement(0, "host-a", [])], [], _harness.Time.GetUtcNow(), CancellationToken.None);
        await _harness.Store.UpdateReplicaAsync(id, 0, ReplicaState.Stopping, null, null, null, _harness.Time.GetUtcNow(), CancellationToken.None);
        _harness.Time.Advance(TimeSpan.FromMinutes(10));
        using var scope = _harness.Services.CreateScope();

        await new SweepFunction(scope.ServiceProvider.GetRequiredService<SweepHandler>(), _harness.Dispatcher).Sweep(new Microsoft.Azure.Functions.Worker.TimerInfo(), CancellationToken.None);

        Assert.Single(_harness.Dispatcher.Dispatched);
        Assert.Equal(ReplicaState.Stopped, Assert.Single(await _harness.Store.GetReplicasAsync(id, CancellationToken.None)).State);
    }

    [Fact]
    public async Task Sweep_DispatcherFails_TheFunctionFailsSoTheRuntimeRetriesNextTick()
    {
        _harness.Dispatcher.Fail = true;
        using var scope = _harness.Services.CreateScope();

        await Assert.ThrowsAsync<InvalidOperationException>(() =>
            new SweepFunction(scope.ServiceProvider.GetRequiredService<SweepHandler>(), _harness.Dispatcher).Sweep(new Microsoft.Azure.Functions.Worker.TimerInfo(), CancellationToken.None));
    }
}
