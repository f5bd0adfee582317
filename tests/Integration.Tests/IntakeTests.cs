using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Docker.DotNet.Models;
using Workers.Contracts.Messages;
using Workers.Contracts.Spec;
using Workers.Intake.Security;
using Xunit.Abstractions;

namespace Workers.Integration.Tests;

/// <summary>
/// The HTTP intake of the functions host over real HTTP (Kestrel on 127.0.0.1, requests as curl would send them),
/// through the real broker, planner, agents and Docker.
/// </summary>
[Collection(IntakeCollection.Name)]
public sealed class IntakeTests(IntakeFixture fixture, ITestOutputHelper output)
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(90);

    [Fact]
    public async Task GitHubHook_SignedTagPush_DeploysTheMappedImageAndAForgedOrRepeatedDeliveryDeploysNothing()
    {
        // The rule maps tag v… to workers-test/hooked:v…; that tag is made to exist locally (no registry here).
        var tag = $"v1.{Random.Shared.Next(1000, 9999)}";
        var image = $"{PipelineFixture.HookedImage}:{tag}";
        await fixture.Docker.Images.TagImageAsync(TestImages.Workload, new ImageTagParameters { RepositoryName = PipelineFixture.HookedImage, Tag = tag });
        using var http = new HttpClient { BaseAddress = fixture.IntakeAddress, Timeout = TimeSpan.FromSeconds(30) };
        var client = fixture.NewClient();
        try
        {
            var body = Encoding.UTF8.GetBytes(PushPayload(tag));
            var delivery = Guid.NewGuid().ToString();

            var posted = await PostGitHubAsync(body, delivery, Sign(body));

            Assert.True(posted.Status == HttpStatusCode.Accepted, posted.Body);
            var id = JsonDocument.Parse(posted.Body).RootElement.GetProperty("deployments")[0].GetProperty("deploymentId").GetGuid();
            var status = await WaitForStateAsync(client, id, DeploymentState.Running);
            Assert.Equal(image, status.Image);
            var containers = (await DockerView.ContainersAsync(fixture.Docker, fixture.HostA, fixture.HookedName))
                .Concat(await DockerView.ContainersAsync(fixture.Docker, fixture.HostB, fixture.HookedName)).ToList();
            Assert.Equal(image, Assert.Single(containers).Image);

            var forged = (byte[])body.Clone();
            forged[Array.IndexOf(forged, (byte)'v')] = (byte)'w';
            var refused = await PostGitHubAsync(forged, Guid.NewGuid().ToString(), Sign(body));
            var repeated = await PostGitHubAsync(body, delivery, Sign(body));

            Assert.Equal(HttpStatusCode.Unauthorized, refused.Status);
            Assert.Contains("signature", refused.Body, StringComparison.OrdinalIgnoreCase);
            Assert.Equal(HttpStatusCode.OK, repeated.Status);
            Assert.Contains("acted on before", repeated.Body, StringComparison.Ordinal);

            // A deployment requested after them has gone all the way through, and the hooked one is still the same revision.
            await BarrierAsync(http, client);
            var after = Assert.Single((await client.StatusAsync(fixture.HookedName, null, CancellationToken.None)).Deployments);
            Assert.Equal((id, status.Revision, DeploymentState.Running), (after.DeploymentId, after.Revision, after.State));

            // The history, over HTTP: the delivery accepted once (the repeat and the forgery wrote nothing), naming what it deploys.
            var webhooks = (await EventsAsync(http, $"name={fixture.HookedName}&limit=1000")).Where(e => e.Kind.StartsWith("webhook.", StringComparison.Ordinal)).ToList();
            var accepted = Assert.Single(webhooks, e => e.Message.StartsWith($"github delivery {delivery}: ", StringComparison.Ordinal));
            Assert.Equal(
                ("webhook.accepted", fixture.HookedName, $"github delivery {delivery}: push of {PipelineFixture.HookedRepository} refs/tags/{tag} deploys {image}"),
                (accepted.Kind, accepted.Name, accepted.Message));
        }
        finally
        {
            await DeleteAndWaitAsync(http, client, fixture.HookedName);
            await fixture.Docker.Images.DeleteImageAsync(image, new ImageDeleteParameters { Force = false });
            await Settle.HeartbeatsCaughtUpAsync(fixture);
        }
    }

    [Fact]
    public async Task GitHubHook_SamePushUnderANewDeliveryIdAndAnOlderPush_DeployNothing()
    {
        var version = Random.Shared.Next(1000, 9999);
        var (olderTag, newerTag) = ($"v1.{version}", $"v2.{version}");
        foreach (var tag in new[] { olderTag, newerTag })
        {
            await fixture.Docker.Images.TagImageAsync(TestImages.Workload, new ImageTagParameters { RepositoryName = PipelineFixture.HookedImage, Tag = tag });
        }

        using var http = new HttpClient { BaseAddress = fixture.IntakeAddress, Timeout = TimeSpan.FromSeconds(30) };
        var client = fixture.NewClient();
        var pushedAt = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        try
        {
            var newer = Encoding.UTF8.GetBytes(PushPayload(newerTag, "7224839f38bf93d2c288d9e07f0f1a07e1bfa357", pushedAt));
            var accepted = await PostGitHubAsync(newer, Guid.NewGuid().ToString(), Sign(newer));
            Assert.True(accepted.Status == HttpStatusCode.Accepted, accepted.Body);
            var id = JsonDocument.Parse(accepted.Body).RootElement.GetProperty("deployments")[0].GetProperty("deploymentId").GetGuid();
            var running = await WaitForStateAsync(client, id, DeploymentState.Running);

            // Captured and sent again under a new delivery id; and a push made before it, never acted on until now.
            var replayedDelivery = Guid.NewGuid().ToString();
            var replayed = await PostGitHubAsync(newer, replayedDelivery, Sign(newer));
            var older = Encoding.UTF8.GetBytes(PushPayload(olderTag, "6113728f27ae82c7b1a177c8d03f9e96e0adf246", pushedAt - 3600));
            var olderDelivery = Guid.NewGuid().ToString();
            var refused = await PostGitHubAsync(older, olderDelivery, Sign(older));

            Assert.Equal(HttpStatusCode.OK, replayed.Status);
            Assert.Contains("acted on before", replayed.Body, StringComparison.Ordinal);
            Assert.Equal(HttpStatusCode.Conflict, refused.Status);
            Assert.Contains("older", refused.Body, StringComparison.Ordinal);

            // A deployment requested after them has gone all the way through, and the hooked one still runs the newer push.
            await BarrierAsync(http, client);
            var after = Assert.Single((await client.StatusAsync(fixture.HookedName, null, CancellationToken.None)).Deployments);
            Assert.Equal((id, running.Revision, DeploymentState.Running, $"{PipelineFixture.HookedImage}:{newerTag}"), (after.DeploymentId, after.Revision, after.State, after.Image));
            var containers = (await DockerView.ContainersAsync(fixture.Docker, fixture.HostA, fixture.HookedName))
                .Concat(await DockerView.ContainersAsync(fixture.Docker, fixture.HostB, fixture.HookedName)).ToList();
            Assert.Equal($"{PipelineFixture.HookedImage}:{newerTag}", Assert.Single(containers).Image);

            // The older push is refused in the history with the reason (it names no deployment: a rule's, not the push's);
            // the replay, acted on before, is no new delivery to record.
            var webhooks = (await EventsAsync(http, "limit=1000")).Where(e => e.Kind.StartsWith("webhook.", StringComparison.Ordinal)).ToList();
            var stale = Assert.Single(webhooks, e => e.Message.StartsWith($"github delivery {olderDelivery}: ", StringComparison.Ordinal));
            Assert.Equal(("webhook.refused", (string?)null), (stale.Kind, stale.Name));
            Assert.StartsWith($"github delivery {olderDelivery}: this push is older than what its rules deployed: rule 0 (", stale.Message, StringComparison.Ordinal);
            Assert.Contains("newer than this one of", stale.Message, StringComparison.Ordinal);
            Assert.DoesNotContain(webhooks, e => e.Message.Contains(replayedDelivery, StringComparison.Ordinal));
        }
        finally
        {
            await DeleteAndWaitAsync(http, client, fixture.HookedName);
            foreach (var tag in new[] { olderTag, newerTag })
            {
                await fixture.Docker.Images.DeleteImageAsync($"{PipelineFixture.HookedImage}:{tag}", new ImageDeleteParameters { Force = false });
            }

            await Settle.HeartbeatsCaughtUpAsync(fixture);
        }
    }

    [Fact]
    public async Task PostDeployment_OverHttp_Answers202BeforeTheDeploymentRunsAndAnInvalidSpecGets422WithEveryProblem()
    {
        using var http = new HttpClient { BaseAddress = fixture.IntakeAddress, Timeout = TimeSpan.FromSeconds(30) };
        var client = fixture.NewClient();
        var broken = "name: Web_App\nimage: registry.example.com/Team/web:latest\nreplica: 3\nports:\n  - container: 70000\nresources:\n  cpu: \"-1\"\n";

        using var invalid = await http.SendAsync(SpecRequest(broken));

        Assert.Equal((HttpStatusCode)422, invalid.StatusCode);
        var problems = JsonDocument.Parse(await invalid.Content.ReadAsStringAsync()).RootElement.GetProperty("problems");
        var expected = SpecParser.Parse(broken, "request.yaml").Problems;
        Assert.True(expected.Count >= 5);
        Assert.Equal(expected.Select(p => (p.Path, p.Line, p.Column, p.Code)), problems.EnumerateArray().Select(p =>
            (p.GetProperty("path").GetString()!, p.GetProperty("line").GetInt32(), p.GetProperty("column").GetInt32(), p.GetProperty("code").GetString()!)));

        var names = Enumerable.Range(0, 3).Select(i => $"api{i}-{Guid.NewGuid():N}"[..20]).ToList();
        var latencies = new List<TimeSpan>();
        var ids = new List<Guid>();
        try
        {
            foreach (var name in names)
            {
                var clock = Stopwatch.StartNew();
                using var response = await http.SendAsync(SpecRequest(Spec(name)));
                latencies.Add(clock.Elapsed);
                Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
                Assert.Equal($"/api/deployments/{name}", response.Headers.Location?.OriginalString);
                var id = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("deploymentId").GetGuid();
                ids.Add(id);

                // Answered before it finished: the pipeline has not made this request run yet.
                var now = await client.StatusAsync(null, id, CancellationToken.None);
                Assert.False(now.Deployments is [{ State: DeploymentState.Running }], "the deployment was already running when the intake answered");
            }

            // Reported, not asserted: timings belong to the benchmarks (scripts/bench.sh, the intake figure).
            output.WriteLine($"POST /api/deployments answered 202 in {string.Join(", ", latencies.Select(l => $"{l.TotalMilliseconds:0.0} ms"))}");
            foreach (var id in ids)
            {
                await WaitForStateAsync(client, id, DeploymentState.Running);
            }

            using var got = await http.SendAsync(Authorized(new HttpRequestMessage(HttpMethod.Get, $"/api/deployments/{names[0]}")));
            using var status = JsonDocument.Parse(await got.Content.ReadAsStringAsync());
            Assert.Equal((ids[0], "Running"), (status.RootElement.GetProperty("deploymentId").GetGuid(), status.RootElement.GetProperty("state").GetString()));
            using var hosts = await http.SendAsync(Authorized(new HttpRequestMessage(HttpMethod.Get, "/api/hosts")));
            var hostIds = JsonDocument.Parse(await hosts.Content.ReadAsStringAsync()).RootElement.EnumerateArray().Select(h => h.GetProperty("hostId").GetString()).ToList();
            Assert.Contains(fixture.HostA, hostIds);
            Assert.Contains(fixture.HostB, hostIds);
        }
        finally
        {
            foreach (var name in names)
            {
                await DeleteAndWaitAsync(http, client, name);
            }

            await Settle.HeartbeatsCaughtUpAsync(fixture);
        }
    }

    /// <summary>The event history as <c>GET /api/events?{query}</c> answers it.</summary>
    private async Task<IReadOnlyList<WorkersEvent>> EventsAsync(HttpClient http, string query)
    {
        using var response = await http.SendAsync(Authorized(new HttpRequestMessage(HttpMethod.Get, $"/api/events?{query}")));
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, body);
        return JsonSerializer.Deserialize<List<WorkersEvent>>(body, JsonSerializerOptions.Web)!;
    }

    private async Task BarrierAsync(HttpClient http, Workers.Cli.WorkersClient client)
    {
        var name = $"barrier-{Guid.NewGuid():N}"[..20];
        using var response = await http.SendAsync(SpecRequest(Spec(name)));
        var id = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("deploymentId").GetGuid();
        await WaitForStateAsync(client, id, DeploymentState.Running);
        await DeleteAndWaitAsync(http, client, name);
    }

    private async Task DeleteAndWaitAsync(HttpClient http, Workers.Cli.WorkersClient client, string name)
    {
        using var deleted = await http.SendAsync(Authorized(new HttpRequestMessage(HttpMethod.Delete, $"/api/deployments/{name}")));
        if (deleted.StatusCode == HttpStatusCode.NotFound)
        {
            return;
        }

        Assert.Equal(HttpStatusCode.Accepted, deleted.StatusCode);
        await fixture.WaitUntilGoneAsync(client, name, Deadline);
    }

    private static Task<DeploymentStatus> WaitForStateAsync(Workers.Cli.WorkersClient client, Guid id, DeploymentState state) =>
        PipelineFixture.WaitForStateAsync(client, id, state, Deadline);

    private HttpRequestMessage SpecRequest(string spec)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/api/deployments") { Content = new StringContent(spec, Encoding.UTF8) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/yaml");
        return Authorized(request);
    }

    private HttpRequestMessage Authorized(HttpRequestMessage request)
    {
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", fixture.IntakeToken);
        return request;
    }

    // Posted with curl, byte for byte, with the headers GitHub sends.
    private Task<(HttpStatusCode Status, string Body)> PostGitHubAsync(byte[] body, string delivery, string signature) =>
        Curl.PostAsync(new Uri(fixture.IntakeAddress, "/api/hooks/github"), body, new Dictionary<string, string>
        {
            ["Content-Type"] = "application/json",
            ["User-Agent"] = "GitHub-Hookshot/044aadd",
            ["X-GitHub-Event"] = "push",
            ["X-GitHub-Delivery"] = delivery,
            ["X-Hub-Signature-256"] = signature,
        });

    private string Sign(byte[] body) => GitHubSignature.Sign(Encoding.UTF8.GetBytes(fixture.GitHubSecret), body);

    private static string Spec(string name) => $"name: {name}\nimage: {TestImages.Workload}\nports:\n  - container: 8080\nresources:\n  memory: 16Mi\n";

    // A push of a tag as GitHub sends it (trimmed of the fields nothing reads, in GitHub's field order).
    private static string PushPayload(string tag, string after = "6113728f27ae82c7b1a177c8d03f9e96e0adf246", long? pushedAt = null) => $$"""
        {
          "ref": "refs/tags/{{tag}}",
          "before": "0000000000000000000000000000000000000000",
          "after": "{{after}}",
          "repository": {
            "id": 186853002,
            "name": "hooked",
            "full_name": "{{PipelineFixture.HookedRepository}}",
            "private": false,
            "owner": { "login": "acme", "id": 21031067, "type": "Organization" },
            "default_branch": "main",
            "pushed_at": {{pushedAt ?? DateTimeOffset.UtcNow.ToUnixTimeSeconds()}}
          },
          "pusher": { "name": "octocat", "email": "octocat@github.com" },
          "sender": { "login": "octocat", "id": 21031067, "type": "User" },
          "created": true,
          "deleted": false,
          "forced": false,
          "base_ref": "refs/heads/main",
          "compare": "https://github.com/acme/hooked/compare/{{tag}}",
          "commits": [],
          "head_commit": { "id": "{{after}}", "message": "Release {{tag}}" }
        }
        """;
}
