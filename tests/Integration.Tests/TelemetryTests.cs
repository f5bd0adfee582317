using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using OpenTelemetry;
using OpenTelemetry.Trace;
using Workers.Cli;
using Workers.Contracts.Messages;
using Workers.Telemetry;

namespace Workers.Integration.Tests;

/// <summary>
/// Traces and metrics on the real broker and Docker engine: the functions, intake and agents of the fixture run in this
/// process, so one in-memory exporter here collects every piece's spans; /metrics is the intake's own listener.
/// </summary>
[Collection(IntakeCollection.Name)]
public sealed class TelemetryTests(IntakeFixture fixture)
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(90);

    [Fact]
    public async Task Trace_OneDeployment_RunsAsOneTraceFromTheCliThroughValidatePlanAgentDockerAndTrack()
    {
        var spans = new SpanLog();
        using var provider = Sdk.CreateTracerProviderBuilder()
            .AddSource(WorkersTelemetry.Name, WorkersTelemetry.MassTransit)
            .AddInMemoryExporter(spans)
            .Build();
        var client = fixture.NewClient();
        var name = $"traced-{Guid.NewGuid():N}"[..16];
        Guid id;
        ActivityTraceId trace;
        using (var command = CliTracing.StartRoot("deploy"))
        {
            Assert.NotNull(command);
            trace = command.TraceId;
            id = await client.DeployAsync(Spec(name), $"{name}.yaml", CancellationToken.None);
        }

        await PipelineFixture.WaitForStateAsync(client, id, DeploymentState.Running, Deadline);
        // A span is exported when it ends, after the spans it started (a send inside a consumer's span): wait for a track
        // span and for every span's parent, or a parent still open would read as missing.
        var traced = await Poll.UntilAsync(
            () => Task.FromResult(spans.Of(trace)),
            s => s.Any(a => a.DisplayName == "track") && s.All(a => a.ParentSpanId == default || s.Any(p => p.SpanId == a.ParentSpanId)),
            Deadline,
            "the track span of the deployment's trace, and every span's parent");

        var byId = traced.ToDictionary(a => a.SpanId);
        var root = Assert.Single(traced, a => a.ParentSpanId == default);
        Assert.Equal("workers deploy", root.DisplayName);
        Assert.All(traced.Where(a => a != root), a => Assert.True(byId.ContainsKey(a.ParentSpanId), $"{a.DisplayName}'s parent {a.ParentSpanId} is not in the trace"));
        var validate = Assert.Single(traced, a => a.DisplayName == "validate");
        var plan = Assert.Single(traced, a => a.DisplayName == "plan");
        var start = Assert.Single(traced, a => a.DisplayName == "start");
        var docker = Assert.Single(traced, a => a.DisplayName == "docker ensure-running");
        var track = traced.First(a => a.DisplayName == "track");
        Assert.Contains(root, Ancestors(validate, byId));
        Assert.Contains(validate, Ancestors(plan, byId));
        Assert.Contains(plan, Ancestors(start, byId));
        Assert.Contains(start, Ancestors(docker, byId));
        Assert.Contains(start, Ancestors(track, byId));
        Assert.Equal($"{name}-r1-0.{PlacedOn(await client.StatusAsync(name, null, CancellationToken.None))}", docker.GetTagItem("container.name"));
        await DeleteAsync(client, name);
    }

    [Fact]
    public async Task Metrics_AfterADeploy_ParseAsPrometheusTextAndCountWhatStatusShows()
    {
        var client = fixture.NewClient();
        var name = $"counted-{Guid.NewGuid():N}"[..16];
        var id = await client.DeployAsync(Spec(name, replicas: 2), $"{name}.yaml", CancellationToken.None);
        await PipelineFixture.WaitForStateAsync(client, id, DeploymentState.Running, Deadline);
        await Poll.UntilAsync(
            () => client.StatusAsync(name, null, CancellationToken.None),
            r => r.Deployments.Single().Replicas.All(x => x.Health == ReplicaHealth.Healthy),
            Deadline,
            $"{name}'s replicas healthy");
        using var http = new HttpClient { BaseAddress = fixture.IntakeAddress, Timeout = TimeSpan.FromSeconds(10) };

        // Past StoreGauges.MaxAge every scrape reflects the store; until then it may show the reading before the deploy.
        var (samples, status, hosts) = await Poll.UntilAsync(
            async () => (PrometheusText.Parse(await ScrapeAsync(http)), await client.StatusAsync(null, null, CancellationToken.None), await client.HostsAsync(CancellationToken.None)),
            r => Gauge(r.Item1, "workers_replicas", ("state", "running"), ("health", "healthy")) == r.Item2.Deployments.SelectMany(d => d.Replicas).Count(x => x.State == ReplicaState.Running && x.Health == ReplicaHealth.Healthy),
            Deadline,
            "/metrics to count the running healthy replicas");

        foreach (var state in Enum.GetValues<DeploymentState>())
        {
            Assert.Equal(status.Deployments.Count(d => d.State == state), Gauge(samples, "workers_deployments", ("state", Label(state))));
        }

        var replicas = status.Deployments.SelectMany(d => d.Replicas).ToList();
        foreach (var state in Enum.GetValues<ReplicaState>())
        {
            foreach (var health in Enum.GetValues<ReplicaHealth>().Select(h => (ReplicaHealth?)h).Append(null))
            {
                Assert.Equal(replicas.Count(r => r.State == state && r.Health == health), Gauge(samples, "workers_replicas", ("state", Label(state)), ("health", health is { } h ? Label(h) : "none")));
            }
        }

        Assert.True(Gauge(samples, "workers_replicas", ("state", "running"), ("health", "healthy")) >= 2);
        Assert.Equal(hosts.Hosts.Count(h => h.Live), Gauge(samples, "workers_hosts", ("live", "true")));
        Assert.Equal(hosts.Hosts.Count(h => !h.Live), Gauge(samples, "workers_hosts", ("live", "false")));
        Assert.Contains(samples, s => s.Name == "workers_handler_duration_seconds_count" && s.Labels.GetValueOrDefault("handler") == "validate" && s.Value >= 1);
        Assert.Contains(samples, s => s.Name == "workers_docker_duration_seconds_count" && s.Labels.GetValueOrDefault("operation") == "ensure-running" && s.Value >= 1);
        await DeleteAsync(client, name);
    }

    [Theory]
    [InlineData(null, HttpStatusCode.Unauthorized)]
    [InlineData("not-a-token", HttpStatusCode.Forbidden)]
    public async Task Metrics_WithoutAConfiguredToken_AreRefused(string? token, HttpStatusCode expected)
    {
        using var http = new HttpClient { BaseAddress = fixture.IntakeAddress, Timeout = TimeSpan.FromSeconds(10) };
        using var request = new HttpRequestMessage(HttpMethod.Get, "/metrics");
        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        using var response = await http.SendAsync(request);

        Assert.Equal(expected, response.StatusCode);
        Assert.DoesNotContain("workers_", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    private async Task<string> ScrapeAsync(HttpClient http)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/metrics");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", fixture.IntakeToken);
        using var response = await http.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.StartsWith("text/plain", response.Content.Headers.ContentType?.MediaType, StringComparison.Ordinal);
        return await response.Content.ReadAsStringAsync();
    }

    /// <summary>The one sample of <paramref name="name"/> with these labels (others, such as the scope's, may be present too).</summary>
    private static double Gauge(IReadOnlyList<PrometheusSample> samples, string name, params (string Name, string Value)[] labels) =>
        Assert.Single(samples, s => s.Name == name && labels.All(l => s.Labels.GetValueOrDefault(l.Name) == l.Value)).Value;

    private static string Label<T>(T value)
        where T : struct, Enum => value.ToString().ToLowerInvariant();

    private static IEnumerable<Activity> Ancestors(Activity span, Dictionary<ActivitySpanId, Activity> byId)
    {
        for (var parent = byId.GetValueOrDefault(span.ParentSpanId); parent is not null; parent = byId.GetValueOrDefault(parent.ParentSpanId))
        {
            yield return parent;
        }
    }

    private static string PlacedOn(DeploymentStatusReply status) => status.Deployments.Single().Replicas.Single().HostId;

    private async Task DeleteAsync(WorkersClient client, string name)
    {
        await client.DeleteAsync(name, CancellationToken.None);
        await fixture.WaitUntilGoneAsync(client, name, Deadline);
    }

    private static string Spec(string name, int replicas = 1) =>
        $"name: {name}\nimage: {TestImages.Workload}\nreplicas: {replicas}\nports:\n  - container: 8080\nresources:\n  memory: 16Mi\n";

    /// <summary>The exporter's collection: spans end on many threads at once.</summary>
    private sealed class SpanLog : ICollection<Activity>
    {
        private readonly List<Activity> _spans = [];
        private readonly Lock _lock = new();

        public int Count
        {
            get
            {
                lock (_lock)
                {
                    return _spans.Count;
                }
            }
        }

        public bool IsReadOnly => false;

        public IReadOnlyList<Activity> Of(ActivityTraceId trace)
        {
            lock (_lock)
            {
                return [.. _spans.Where(s => s.TraceId == trace)];
            }
        }

        public void Add(Activity item)
        {
            lock (_lock)
            {
                _spans.Add(item);
            }
        }

        public void Clear()
        {
            lock (_lock)
            {
                _spans.Clear();
            }
        }

        public bool Contains(Activity item)
        {
            lock (_lock)
            {
                return _spans.Contains(item);
            }
        }

        public void CopyTo(Activity[] array, int arrayIndex)
        {
            lock (_lock)
            {
                _spans.CopyTo(array, arrayIndex);
            }
        }

        public bool Remove(Activity item)
        {
            lock (_lock)
            {
                return _spans.Remove(item);
            }
        }

        public IEnumerator<Activity> GetEnumerator()
        {
            lock (_lock)
            {
                return _spans.ToList().GetEnumerator();
            }
        }

        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
    }
}
