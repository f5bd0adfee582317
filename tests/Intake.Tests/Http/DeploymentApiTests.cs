using System.Net;
using System.Text;
using System.Text.Json;
using Workers.Contracts.Messages;
using Workers.Contracts.Spec;
using Workers.Intake.Tests.Support;

namespace Workers.Intake.Tests.Http;

public sealed class DeploymentApiTests : IAsyncLifetime
{
    private const string Valid = "name: web\nimage: ghcr.io/acme/web:1.4.2\nreplicas: 2\nports:\n  - container: 8080\n";
    private IntakeHarness _intake = null!;

    public async Task InitializeAsync() => _intake = await IntakeHarness.StartAsync();

    public async Task DisposeAsync() => await _intake.DisposeAsync();

    [Fact]
    public async Task PostDeployment_ValidYaml_Answers202WithIdAndLocationAndPublishesTheRequest()
    {
        using var response = await _intake.PostSpecAsync(Valid);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.Equal("/api/deployments/web", response.Headers.Location?.OriginalString);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var id = body.RootElement.GetProperty("deploymentId").GetGuid();
        Assert.Equal("web", body.RootElement.GetProperty("name").GetString());
        var request = Assert.IsType<DeploymentRequested>(Assert.Single(_intake.Dispatcher.Published));
        Assert.Equal((id, Valid, "request.yaml", "api"), (request.CorrelationId, request.SpecText, request.Source, request.RequestedBy));
    }

    [Theory]
    [InlineData("application/yaml")]
    [InlineData("application/x-yaml")]
    [InlineData("text/yaml; charset=utf-8")]
    public async Task PostDeployment_EveryYamlContentType_IsAccepted(string contentType)
    {
        using var response = await _intake.PostSpecAsync(Valid, contentType);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
    }

    [Fact]
    public async Task PostDeployment_ValidJson_IsReadAsJsonAndAccepted()
    {
        using var response = await _intake.PostSpecAsync("""{"name": "api", "image": "ghcr.io/acme/api:2"}""", "application/json");

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.Equal("request.json", Assert.IsType<DeploymentRequested>(Assert.Single(_intake.Dispatcher.Published)).Source);
    }

    [Fact]
    public async Task ListDeployments_AskedForAPage_AnswersThatSliceOfTheWholeListByNameAndItsCount()
    {
        foreach (var name in new[] { "delta", "alpha", "echo", "charlie", "bravo" })
        {
            var spec = SpecParser.Parse(Encoding.UTF8.GetBytes($"name: {name}\nimage: ghcr.io/acme/{name}:1\nreplicas: 1\n"), "spec.yaml").Spec!;
            await _intake.Store.SavePlanAsync(Guid.NewGuid(), spec, "ci", [new ReplicaPlacement(0, "host-a", [])], [], _intake.Time.GetUtcNow(), CancellationToken.None);
        }

        using var all = await _intake.SendAsync(HttpMethod.Get, "/api/deployments");
        using var page = await _intake.SendAsync(HttpMethod.Get, "/api/deployments?offset=1&limit=3");
        using var past = await _intake.SendAsync(HttpMethod.Get, "/api/deployments?offset=5&limit=3");

        var whole = JsonDocument.Parse(await all.Content.ReadAsStringAsync()).RootElement.EnumerateArray().Select(d => d.GetRawText()).ToList();
        var sliced = JsonDocument.Parse(await page.Content.ReadAsStringAsync()).RootElement.EnumerateArray().Select(d => d.GetRawText()).ToList();
        Assert.Equal(["alpha", "bravo", "charlie", "delta", "echo"], whole.Select(d => JsonDocument.Parse(d).RootElement.GetProperty("name").GetString()));
        Assert.Equal(whole.Skip(1).Take(3), sliced);
        Assert.Equal("5", page.Headers.GetValues("X-Total-Count").Single());
        Assert.Equal("[]", await past.Content.ReadAsStringAsync());
        Assert.Equal("5", past.Headers.GetValues("X-Total-Count").Single());
        Assert.False(all.Headers.Contains("X-Total-Count"));
    }

    [Fact]
    public async Task PostDeployment_NoToken_Answers401ProblemAndPublishesNothing()
    {
        using var response = await _intake.PostSpecAsync(Valid, token: null);

        await AssertProblemAsync(response, HttpStatusCode.Unauthorized);
        Assert.Empty(_intake.Dispatcher.Published);
    }

    [Fact]
    public async Task PostDeployment_WrongToken_Answers403AndLogsNoToken()
    {
        using var response = await _intake.PostSpecAsync(Valid, token: "token-for-tests-3");

        await AssertProblemAsync(response, HttpStatusCode.Forbidden);
        Assert.Empty(_intake.Dispatcher.Published);
        Assert.Contains(_intake.Logs.Lines, l => l.Contains("bearer token Wrong", StringComparison.Ordinal));
        Assert.DoesNotContain(_intake.Logs.Lines, l => l.Contains("token-for-tests", StringComparison.Ordinal));
    }

    [Fact]
    public async Task PostDeployment_SecondConfiguredToken_IsAccepted()
    {
        using var response = await _intake.PostSpecAsync(Valid, token: "token-for-tests-2");

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
    }

    [Theory]
    [InlineData("text/plain")]
    [InlineData("application/xml")]
    [InlineData("multipart/form-data; boundary=x")]
    public async Task PostDeployment_OtherContentType_Answers415(string contentType)
    {
        using var response = await _intake.PostSpecAsync(Valid, contentType);

        await AssertProblemAsync(response, HttpStatusCode.UnsupportedMediaType);
        Assert.Empty(_intake.Dispatcher.Published);
    }

    [Fact]
    public async Task PostDeployment_OneByteAboveOneMebibyte_Answers413()
    {
        var body = Valid + "# " + new string('x', SpecParser.MaxBytes - Valid.Length - 2) + "\n";
        Assert.Equal(SpecParser.MaxBytes + 1, Encoding.UTF8.GetByteCount(body));

        using var response = await _intake.PostSpecAsync(body);

        await AssertProblemAsync(response, HttpStatusCode.RequestEntityTooLarge);
        Assert.Empty(_intake.Dispatcher.Published);
    }

    [Fact]
    public async Task PostDeployment_ExactlyOneMebibyte_IsAccepted()
    {
        var body = Valid + "# " + new string('x', SpecParser.MaxBytes - Valid.Length - 3) + "\n";

        using var response = await _intake.PostSpecAsync(body);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
    }

    [Fact]
    public async Task PostDeployment_InvalidSpec_Answers422WithTheProblemsWorkersValidateJsonPrints()
    {
        var broken = await File.ReadAllTextAsync(Path.Combine(RepoRoot(), "examples", "broken.yaml"));

        using var response = await _intake.PostSpecAsync(broken);

        var problem = await AssertProblemAsync(response, (HttpStatusCode)422);
        var expected = SpecParser.Parse(broken, "request.yaml").Problems;
        Assert.True(expected.Count > 5);
        // `workers validate --format json` serialises the same records with the web defaults.
        Assert.Equal(
            JsonSerializer.Serialize(expected, new JsonSerializerOptions(JsonSerializerDefaults.Web)),
            problem.RootElement.GetProperty("problems").GetRawText());
        Assert.Empty(_intake.Dispatcher.Published);
    }

    [Fact]
    public async Task GetDeployment_Planned_AnswersTheStatusQueryHandlerGives()
    {
        var id = await SeedAsync("shop");

        using var response = await _intake.SendAsync(HttpMethod.Get, "/api/deployments/shop");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal(id, body.RootElement.GetProperty("deploymentId").GetGuid());
        Assert.Equal("Pending", body.RootElement.GetProperty("state").GetString());
        Assert.Equal("host-a", body.RootElement.GetProperty("replicas")[0].GetProperty("hostId").GetString());

        using var list = await _intake.SendAsync(HttpMethod.Get, "/api/deployments");
        Assert.Equal("shop", JsonDocument.Parse(await list.Content.ReadAsStringAsync()).RootElement[0].GetProperty("name").GetString());
    }

    [Fact]
    public async Task GetDeployment_UnknownName_Answers404Problem()
    {
        using var response = await _intake.SendAsync(HttpMethod.Get, "/api/deployments/nothing-here");

        await AssertProblemAsync(response, HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task GetDeployment_NoToken_Answers401()
    {
        await SeedAsync("quiet");

        using var response = await _intake.SendAsync(HttpMethod.Get, "/api/deployments/quiet", token: null);

        await AssertProblemAsync(response, HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task GetHosts_AfterAHeartbeat_ListsTheHostAsLive()
    {
        await _intake.Store.UpsertHostAsync(Heartbeat("host-a"), _intake.Time.GetUtcNow(), CancellationToken.None);

        using var response = await _intake.SendAsync(HttpMethod.Get, "/api/hosts");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var host = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement[0];
        Assert.Equal(("host-a", true), (host.GetProperty("hostId").GetString(), host.GetProperty("live").GetBoolean()));
    }

    [Fact]
    public async Task GetEvents_OfADeploymentAfterASequence_AnswersItsNewerEventsOldestFirst()
    {
        await _intake.Store.UpsertHostAsync(Heartbeat("host-a"), _intake.Time.GetUtcNow(), CancellationToken.None);
        var id = Guid.NewGuid();
        await _intake.Store.SavePlanAsync(id, Workers.Contracts.Spec.SpecParser.Parse("name: web\nimage: nginx:1.27\n", "web.yaml").Spec!, "tester",
            [new(0, "host-a", [])], [], _intake.Time.GetUtcNow(), CancellationToken.None);
        using var first = await _intake.SendAsync(HttpMethod.Get, "/api/events?name=web");
        var seen = JsonDocument.Parse(await first.Content.ReadAsStringAsync()).RootElement;
        await _intake.Store.UpdateReplicaAsync(id, 0, ReplicaState.Failed, null, null, "image not found", _intake.Time.GetUtcNow(), CancellationToken.None);

        using var response = await _intake.SendAsync(HttpMethod.Get, $"/api/events?name=web&after={seen[seen.GetArrayLength() - 1].GetProperty("sequence").GetInt64()}&since=10m&limit=5");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(["deployment.accepted", "replica.placed"], seen.EnumerateArray().Select(e => e.GetProperty("kind").GetString()));
        var failed = Assert.Single(JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.EnumerateArray());
        Assert.Equal(("replica.failed", "image not found", "host-a"), (failed.GetProperty("kind").GetString(), failed.GetProperty("message").GetString(), failed.GetProperty("hostId").GetString()));
    }

    [Fact]
    public async Task GetEvents_BadOrUnknownParameters_Answers400NamingEveryOne()
    {
        using var response = await _intake.SendAsync(HttpMethod.Get, "/api/events?name=Web_1&after=-3&since=yesterday&limit=5000&follow=1");

        using var problem = await AssertProblemAsync(response, HttpStatusCode.BadRequest);
        var detail = problem.RootElement.GetProperty("detail").GetString()!;
        foreach (var named in new[] { "name:", "after:", "since:", "limit:", "'follow' is not a parameter" })
        {
            Assert.Contains(named, detail, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task PostDeployment_BrokerDoesNotTakeIt_Answers503SayingToCheckTheStatusBeforeRetrying()
    {
        _intake.Dispatcher.FailNext(1);

        using var response = await _intake.PostSpecAsync(Valid);

        using var problem = await AssertProblemAsync(response, HttpStatusCode.ServiceUnavailable);
        var detail = problem.RootElement.GetProperty("detail").GetString();
        Assert.Contains("broker unreachable", detail, StringComparison.Ordinal);
        Assert.Contains("/api/deployments/web", detail, StringComparison.Ordinal);
        Assert.Empty(_intake.Dispatcher.Published);

        using var retry = await _intake.PostSpecAsync(Valid);
        Assert.Equal(HttpStatusCode.Accepted, retry.StatusCode);
    }

    [Fact]
    public async Task DeleteDeployment_BrokerDoesNotTakeIt_Answers503()
    {
        await SeedAsync("gone");
        _intake.Dispatcher.FailNext(1);

        using var response = await _intake.SendAsync(HttpMethod.Delete, "/api/deployments/gone");

        using var problem = await AssertProblemAsync(response, HttpStatusCode.ServiceUnavailable);
        Assert.Empty(_intake.Dispatcher.Published);
    }

    [Fact]
    public async Task DeleteDeployment_Known_Answers202AndPublishesDeleteDeployment()
    {
        await SeedAsync("gone");

        using var response = await _intake.SendAsync(HttpMethod.Delete, "/api/deployments/gone");

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.Equal("gone", Assert.IsType<DeleteDeployment>(Assert.Single(_intake.Dispatcher.Published)).Name);
    }

    [Fact]
    public async Task DeleteDeployment_Unknown_Answers404AndPublishesNothing()
    {
        using var response = await _intake.SendAsync(HttpMethod.Delete, "/api/deployments/never");

        await AssertProblemAsync(response, HttpStatusCode.NotFound);
        Assert.Empty(_intake.Dispatcher.Published);
    }

    internal static async Task<JsonDocument> AssertProblemAsync(HttpResponseMessage response, HttpStatusCode status)
    {
        Assert.Equal(status, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal((int)status, problem.RootElement.GetProperty("status").GetInt32());
        Assert.False(string.IsNullOrEmpty(problem.RootElement.GetProperty("title").GetString()));
        Assert.False(string.IsNullOrEmpty(problem.RootElement.GetProperty("detail").GetString()));
        return problem;
    }

    [Fact]
    public async Task GetHistory_TwoRevisions_ListsThemNewestFirstAndMarksTheCurrent()
    {
        await SeedAsync("shop", "1");
        var second = await SeedAsync("shop", "2");

        using var response = await _intake.SendAsync(HttpMethod.Get, "/api/deployments/shop/history");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var revisions = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.EnumerateArray().ToList();
        Assert.Equal([2L, 1L], revisions.Select(r => r.GetProperty("revision").GetInt64()));
        Assert.Equal(second, revisions[0].GetProperty("deploymentId").GetGuid());
        Assert.Equal([true, false], revisions.Select(r => r.GetProperty("current").GetBoolean()));
        Assert.Equal("ghcr.io/acme/shop:1", revisions[1].GetProperty("image").GetString());
    }

    [Fact]
    public async Task PostRollback_ToAnEarlierRevision_PublishesItsSpecAsANewRequest()
    {
        await SeedAsync("shop", "1");
        await SeedAsync("shop", "2");

        using var response = await _intake.SendAsync(HttpMethod.Post, "/api/deployments/shop/rollback?to=1");

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var request = Assert.IsType<DeploymentRequested>(Assert.Single(_intake.Dispatcher.Published));
        var spec = SpecParser.Parse(request.SpecText, request.Source).Spec!;
        Assert.Equal(("shop", "ghcr.io/acme/shop:1"), (spec.Name.Value, spec.Image.ToString()));
    }

    [Fact]
    public async Task PostRollback_NothingEarlierRanHealthy_Answers409AndPublishesNothing()
    {
        await SeedAsync("shop", "1");

        using var response = await _intake.SendAsync(HttpMethod.Post, "/api/deployments/shop/rollback");

        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        Assert.Contains("no earlier revision that ran healthy", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Empty(_intake.Dispatcher.Published);
    }

    [Theory]
    [InlineData("/api/deployments/never/history", "GET")]
    [InlineData("/api/deployments/never/rollback", "POST")]
    public async Task HistoryAndRollback_UnknownName_Answer404(string path, string method)
    {
        using var response = await _intake.SendAsync(new HttpMethod(method), path);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Empty(_intake.Dispatcher.Published);
    }

    [Fact]
    public async Task PostRollback_ToThatIsNoNumber_Answers400()
    {
        await SeedAsync("shop", "1");

        using var response = await _intake.SendAsync(HttpMethod.Post, "/api/deployments/shop/rollback?to=latest");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Empty(_intake.Dispatcher.Published);
    }

    private async Task<Guid> SeedAsync(string name, string tag = "1")
    {
        var spec = SpecParser.Parse($"name: {name}\nimage: ghcr.io/acme/{name}:{tag}\n", $"{name}.yaml").Spec!;
        var id = Guid.NewGuid();
        await _intake.Store.SavePlanAsync(id, spec, "test", [new ReplicaPlacement(0, "host-a", [])], [], _intake.Time.GetUtcNow(), CancellationToken.None);
        return id;
    }

    private HostHeartbeat Heartbeat(string hostId) =>
        new(Guid.NewGuid(), Guid.NewGuid(), _intake.Time.GetUtcNow(), hostId, new Dictionary<string, string>(), "127.0.0.1", 2000, 1 << 30, 2000, 1 << 30, [], []);

    private static string RepoRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "Workers.sln")))
        {
            directory = directory.Parent;
        }

        return directory?.FullName ?? throw new InvalidOperationException("Workers.sln not found above the test binaries");
    }
}
