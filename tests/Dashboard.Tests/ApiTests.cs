using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;

namespace Workers.Dashboard.Tests;

/// <summary>What the dashboard needs of the API beyond the CLI's calls: validate without deploying, pages, the page's headers.</summary>
[Collection(DashboardCollection.Name)]
public sealed class ApiTests(DashboardFixture fixture)
{
    private const string BadSpec = "name: bad-spec\nimage: nginx\nreplicaz: 2\nports:\n  - container: 70000\n";

    [Fact]
    public async Task Validate_ASpecWithProblems_Answers422WithTheProblemsOfADeployAndPublishesNothing()
    {
        using var api = fixture.NewApiClient();
        using var validated = await api.PostAsync("/api/validate", new StringContent(BadSpec, Encoding.UTF8, "application/yaml"));
        using var deployed = await api.PostAsync("/api/deployments", new StringContent(BadSpec, Encoding.UTF8, "application/yaml"));

        Assert.Equal(HttpStatusCode.UnprocessableEntity, validated.StatusCode);
        Assert.Equal("application/problem+json", validated.Content.Headers.ContentType?.MediaType);
        var problems = (await validated.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("problems");
        Assert.Equal((await deployed.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("problems").ToString(), problems.ToString());
        Assert.Equal([3, 5], problems.EnumerateArray().Select(p => p.GetProperty("line").GetInt32()).Order());
        using var status = await api.GetAsync("/api/deployments/bad-spec");
        Assert.Equal(HttpStatusCode.NotFound, status.StatusCode);
    }

    [Fact]
    public async Task Validate_AValidSpec_AnswersItsNameAndImageAndDeploysNothing()
    {
        using var api = fixture.NewApiClient();
        var name = Specs.Name("valid");
        using var validated = await api.PostAsync("/api/validate", new StringContent(Specs.Http(name, 1, "1", "/healthz"), Encoding.UTF8, "application/yaml"));

        Assert.Equal(HttpStatusCode.OK, validated.StatusCode);
        var body = await validated.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal((name, TestImages.Workload, 0), (body.GetProperty("name").GetString(), body.GetProperty("image").GetString(), body.GetProperty("problems").GetArrayLength()));
        using var status = await api.GetAsync($"/api/deployments/{name}");
        Assert.Equal(HttpStatusCode.NotFound, status.StatusCode);
    }

    [Fact]
    public async Task Hosts_AskedForAPage_AnswerThatPageAndTheWholeCount()
    {
        using var api = fixture.NewApiClient();
        var all = await api.GetFromJsonAsync<JsonElement>("/api/hosts");
        using var second = await api.GetAsync("/api/hosts?offset=1&limit=1");

        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        Assert.Equal(all.GetArrayLength().ToString(System.Globalization.CultureInfo.InvariantCulture), second.Headers.GetValues("X-Total-Count").Single());
        var page = await second.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(all[1].GetProperty("hostId").GetString(), Assert.Single(page.EnumerateArray()).GetProperty("hostId").GetString());
    }

    [Theory]
    [InlineData("/api/hosts?limit=0", "limit: '0' is not a whole number from 1 to 1000")]
    [InlineData("/api/hosts?offset=-1", "offset: '-1' is not a whole number of 0 or more")]
    [InlineData("/api/deployments?page=2", "'page' is not a parameter of /api/deployments (host, deploymentId, offset, limit)")]
    public async Task Lists_ABadPageParameter_AreRefusedNamingIt(string path, string problem)
    {
        using var api = fixture.NewApiClient();
        using var refused = await api.GetAsync(path);

        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.Contains(problem, (await refused.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Dashboard_ItsFiles_CarryAStrictContentSecurityPolicyAndNeedNoToken()
    {
        using var anonymous = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = fixture.IntakeAddress };
        using var root = await anonymous.GetAsync("/");
        using var page = await anonymous.GetAsync("/ui/");
        using var script = await anonymous.GetAsync("/ui/app.js");
        using var missing = await anonymous.GetAsync("/ui/secrets.txt");

        Assert.Equal((HttpStatusCode.Redirect, "/ui/"), (root.StatusCode, root.Headers.Location?.ToString()));
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Equal("text/html", page.Content.Headers.ContentType?.MediaType);
        Assert.Equal("text/javascript", script.Content.Headers.ContentType?.MediaType);
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        var csp = page.Headers.GetValues("Content-Security-Policy").Single();
        Assert.Contains("script-src 'self'", csp, StringComparison.Ordinal);
        Assert.DoesNotContain("unsafe-inline", csp, StringComparison.Ordinal);
        Assert.Contains("frame-ancestors 'none'", csp, StringComparison.Ordinal);
        Assert.DoesNotContain("<script>", await page.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }
}
