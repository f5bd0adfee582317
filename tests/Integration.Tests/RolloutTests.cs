using System.Globalization;
using System.Text.RegularExpressions;
using Workers.Cli;
using Workers.Contracts.Messages;
using Workers.Contracts.Spec;

namespace Workers.Integration.Tests;

/// <summary>
/// Health checks and rolling updates on the real pipeline: the agents probe real containers, and a sampler reads
/// Docker and curls every replica every 100 ms while a rollout runs, so the update policy is checked from outside.
/// </summary>
[Collection(PipelineCollection.Name)]
public sealed class RolloutTests(PipelineFixture fixture)
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(120);

    [Fact]
    public async Task Rollout_FourReplicasOneUnavailableOneSurge_NeverFewerThanThreeAnswerNorMoreThanFiveContainers()
    {
        var client = fixture.NewClient();
        var name = Name("roll");
        var policy = "update: { maxUnavailable: 1, maxSurge: 1, minReady: 1s }\n";
        await WaitForStateAsync(client, await client.DeployAsync(Spec(name, 4, "1", "/healthz") + policy, $"{name}.yaml", CancellationToken.None), DeploymentState.Running);

        await using var sampler = Sampler.Start(fixture, name);
        var second = await WaitForStateAsync(client, await client.DeployAsync(Spec(name, 4, "2", "/healthz") + policy, $"{name}.yaml", CancellationToken.None), DeploymentState.Running);
        var samples = await sampler.StopAsync();

        Assert.Equal(2, second.Revision);
        Assert.True(samples.Count >= 10, $"only {samples.Count} samples");
        Assert.True(samples.Min(s => s.Answering) >= 3, $"a sample had only {samples.Min(s => s.Answering)} replicas answering: {Describe(samples)}");
        Assert.True(samples.Max(s => s.Containers) <= 5, $"a sample saw {samples.Max(s => s.Containers)} containers: {Describe(samples)}");
        Assert.Equal(4, second.Replicas.Count(r => r.State == ReplicaState.Running && r.Health == ReplicaHealth.Healthy));
        await Poll.UntilAsync(() => RevisionsInDockerAsync(name), revisions => revisions.SetEquals(["2"]), Deadline, "only revision 2's containers left");
        Assert.Single(fixture.Outcomes.Of<DeploymentSucceeded>(second.DeploymentId));

        // workers rollback: revision 1's spec again, as revision 3, in the same waves.
        var (exit, output) = await WorkersAsync(null, "rollback", name, "--wait");
        Assert.True(exit == 0, $"workers rollback --wait exited {exit}: {output}");
        var third = Assert.Single((await client.StatusAsync(name, null, CancellationToken.None)).Deployments);
        Assert.Equal((3L, DeploymentState.Running), (third.Revision, third.State));
        var history = await client.HistoryAsync(name, CancellationToken.None);
        Assert.Equal(SpecWriter.ToJson(history.Revisions.Single(r => r.Revision == 1).Spec), SpecWriter.ToJson(history.Revisions.Single(r => r.Revision == 3).Spec));
        await DeleteAndWaitAsync(client, name);
    }

    [Fact]
    public async Task Rollout_FixedHostPortAndNoneUnavailable_SurgesOntoTheOtherHostAndAlwaysAnswers()
    {
        var client = fixture.NewClient();
        var name = Name("fixroll");
        var port = FixedPorts.Free();
        var spec = (string version) => Spec(name, 1, version, "/healthz", port) + $"placement:\n  hosts: [{fixture.HostA}, {fixture.HostB}]\nupdate: {{ maxUnavailable: 0, maxSurge: 1, minReady: 1s }}\n";
        var first = await WaitForStateAsync(client, await client.DeployAsync(spec("1"), $"{name}.yaml", CancellationToken.None), DeploymentState.Running);

        await using var sampler = Sampler.Start(fixture, name);
        var second = await WaitForStateAsync(client, await client.DeployAsync(spec("2"), $"{name}.yaml", CancellationToken.None), DeploymentState.Running);
        var samples = await sampler.StopAsync();

        Assert.NotEqual(first.Replicas.Single(r => r.State == ReplicaState.Running).HostId, second.Replicas.Single(r => r.State == ReplicaState.Running).HostId);
        Assert.True(samples.Min(s => s.Answering) >= 1, $"a sample had nothing answering: {Describe(samples)}");
        Assert.True(samples.Max(s => s.Containers) <= 2, $"a sample saw {samples.Max(s => s.Containers)} containers: {Describe(samples)}");
        await DeleteAndWaitAsync(client, name);
    }

    [Fact]
    public async Task Rollout_FixedHostPortOnEveryHostAndNoneUnavailable_IsRefusedBeforeAnythingStops()
    {
        var client = fixture.NewClient();
        var name = Name("fixno");
        var port = FixedPorts.Free();
        var spec = (string version) => Spec(name, 2, version, "/healthz", port) + "update: { maxUnavailable: 0, maxSurge: 1, minReady: 0s }\n";
        var first = await WaitForStateAsync(client, await client.DeployAsync(spec("1"), $"{name}.yaml", CancellationToken.None), DeploymentState.Running);

        var plan = await client.PlanAsync(spec("2"), $"{name}.yaml", CancellationToken.None);
        var refused = await WaitForStateAsync(client, await client.DeployAsync(spec("2"), $"{name}.yaml", CancellationToken.None), DeploymentState.Rejected);

        Assert.Contains("cannot be kept", plan.Reason, StringComparison.Ordinal);
        Assert.Contains("maxUnavailable 0", refused.Reason, StringComparison.Ordinal);
        var status = Assert.Single((await client.StatusAsync(name, null, CancellationToken.None)).Deployments);
        Assert.Equal((first.DeploymentId, DeploymentState.Running), (status.DeploymentId, status.State));
        Assert.Equal(2, status.Replicas.Count(r => r.State == ReplicaState.Running));
        Assert.Equal(["1"], await RevisionsInDockerAsync(name));
        await DeleteAndWaitAsync(client, name);
    }

    [Fact]
    public async Task Rollout_BadRelease_StopsAfterItsFirstWaveRollsBackAndTheOldRevisionNeverDipsBelowTheFloor()
    {
        var client = fixture.NewClient();
        var name = Name("bad");
        var policy = "update: { maxUnavailable: 1, maxSurge: 1, minReady: 1s, autoRollback: true }\n";
        var first = await WaitForStateAsync(client, await client.DeployAsync(Spec(name, 4, "1", "/healthz") + policy, $"{name}.yaml", CancellationToken.None), DeploymentState.Running);

        await using var sampler = Sampler.Start(fixture, name);
        var (exit, output) = await WorkersAsync(Spec(name, 4, "2", "/does-not-exist") + policy, "deploy", "{file}", "--wait");
        var id = Guid.Parse(Regex.Match(output, @"\(id (?<id>[0-9a-f-]{36})\)").Groups["id"].Value);
        var rolledBack = await WaitForStateAsync(client, id, DeploymentState.RolledBack);
        await Poll.UntilAsync(() => RevisionsInDockerAsync(name), revisions => revisions.SetEquals(["1"]), Deadline, "only revision 1's containers left");
        var samples = await sampler.StopAsync();

        Assert.True(exit == 1, $"workers deploy --wait exited {exit}: {output}");
        Assert.Contains($"deployment {name} revision 2 rolled back to revision 1: replica", output, StringComparison.Ordinal);
        Assert.Contains("rolled back to revision 1", rolledBack.Reason, StringComparison.Ordinal);
        Assert.Contains("GET /does-not-exist -> 404", rolledBack.Reason, StringComparison.Ordinal);
        Assert.True(samples.Min(s => s.AnsweringOf("1")) >= 3, $"a sample had only {samples.Min(s => s.AnsweringOf("1"))} old replicas answering: {Describe(samples)}");
        Assert.True(samples.Max(s => s.ContainersOf("2")) <= 2, $"the bad release went past its first wave: {samples.Max(s => s.ContainersOf("2"))} of its containers at once");
        var status = Assert.Single((await client.StatusAsync(name, null, CancellationToken.None)).Deployments);
        Assert.Equal((first.DeploymentId, DeploymentState.RolledBack), (status.DeploymentId, status.State));
        Assert.Equal(4, status.Replicas.Count(r => r.State == ReplicaState.Running && r.Health == ReplicaHealth.Healthy));
        await Poll.UntilAsync(() => Task.FromResult(fixture.Outcomes.Of<DeploymentRolledBack>(id).Count), count => count >= 1, Deadline, "DeploymentRolledBack");
        var published = Assert.Single(fixture.Outcomes.Of<DeploymentRolledBack>(id));
        Assert.Equal((2L, 1L), (published.Revision, published.RestoredRevision));
        var (historyExit, history) = await WorkersAsync(null, "history", name);
        Assert.Equal(0, historyExit);
        Assert.Matches(@"\s2\s+RolledBack .*rolled back to revision 1: replica \d+ on [a-z0-9-]+ is unhealthy: GET /does-not-exist -> 404", history);
        Assert.Matches(@"\s1\*\s+Running ", history);

        // The history tells the rollback with the probe's answer: revision 2's replicas unhealthy, then rolling back and rolled back.
        var events = (await client.EventsAsync(name, null, null, 1000, CancellationToken.None)).Events.Where(e => e.Revision == 2).ToList();
        var unhealthy = events.Where(e => e.Kind == "replica.unhealthy").ToList();
        Assert.NotEmpty(unhealthy);
        Assert.All(unhealthy, e => Assert.Equal("GET /does-not-exist -> 404", e.Message));
        var outcome = events.Where(e => e.Kind.StartsWith("deployment.", StringComparison.Ordinal)).ToList();
        Assert.Equal(["deployment.accepted", "deployment.rollingback", "deployment.rolledback"], outcome.Select(e => e.Kind));
        Assert.Equal([rolledBack.Reason, rolledBack.Reason], outcome.Skip(1).Select(e => e.Message));
        Assert.True(unhealthy[0].Sequence < outcome[1].Sequence, "the replica was unhealthy before the rollback began");
        await DeleteAndWaitAsync(client, name);
    }

    [Fact]
    public async Task HealthCheck_PathThatNeverAnswers_KeepsTheReplicaUnhealthyWithTheProbesAnswer()
    {
        var client = fixture.NewClient();
        var name = Name("sick");

        var failed = await WaitForStateAsync(client, await client.DeployAsync(Spec(name, 1, "1", "/does-not-exist"), $"{name}.yaml", CancellationToken.None), DeploymentState.Failed);

        Assert.Contains("is unhealthy: GET /does-not-exist -> 404", failed.Reason, StringComparison.Ordinal);
        var replica = Assert.Single(failed.Replicas);
        Assert.Equal(ReplicaHealth.Unhealthy, replica.Health);
        Assert.Contains("404", replica.Reason, StringComparison.Ordinal);
        var events = (await client.EventsAsync(name, null, null, 100, CancellationToken.None)).Events;
        Assert.Equal("GET /does-not-exist -> 404", events.First(e => e.Kind == "replica.unhealthy").Message);
        Assert.Equal(failed.Reason, Assert.Single(events, e => e.Kind == "deployment.failed").Message);
        await DeleteAndWaitAsync(client, name);
    }

    [Theory]
    [InlineData("tcp: { port: 8080 }")]
    [InlineData("command: [\"sh\", \"-c\", \"test -f /www/healthz\"]")]
    public async Task HealthCheck_TcpAndCommandChecksThatPass_MakeTheDeploymentRun(string probe)
    {
        var client = fixture.NewClient();
        var name = Name("probe");
        var spec = $"name: {name}\nimage: {TestImages.Workload}\nports:\n  - container: 8080\nresources:\n  memory: 16Mi\n"
            + $"healthCheck:\n  {probe}\n  interval: 500ms\n  timeout: 400ms\n  retries: 2\nupdate:\n  minReady: 1s\n";

        var status = await WaitForStateAsync(client, await client.DeployAsync(spec, $"{name}.yaml", CancellationToken.None), DeploymentState.Running);

        Assert.Equal(ReplicaHealth.Healthy, Assert.Single(status.Replicas).Health);
        await DeleteAndWaitAsync(client, name);
    }

    [Fact]
    public async Task Deploy_TheSpecThatRuns_MakesNoNewRevision()
    {
        var client = fixture.NewClient();
        var name = Name("same");
        var first = await WaitForStateAsync(client, await client.DeployAsync(Spec(name, 1, "1", "/healthz"), $"{name}.yaml", CancellationToken.None), DeploymentState.Running);

        var again = await WaitForStateAsync(client, await client.DeployAsync(Spec(name, 1, "1", "/healthz"), $"{name}.yaml", CancellationToken.None), DeploymentState.Running);

        Assert.Equal((first.DeploymentId, 1L), (again.DeploymentId, again.Revision));
        Assert.Equal(["1"], await RevisionsInDockerAsync(name));
        await DeleteAndWaitAsync(client, name);
    }

    [Fact]
    public async Task Outcome_FunctionsDieBetweenTheTransitionAndTheEvent_TheRedeliveredMessagePublishesItOnce()
    {
        var client = fixture.NewClient();

        // The sweep may take a revision's transition first (it finishes what the messages leave): then no message is
        // redelivered, and the episode is tried again with a new name. Three sweep wins in a row are not expected.
        for (var attempt = 1; ; attempt++)
        {
            var name = Name("outbox");
            fixture.PublishFaults.FailFirstSuccessOf(name);
            var id = await client.DeployAsync(Spec(name, 1, "1", "/healthz") + "update: { minReady: 1s }\n", $"{name}.yaml", CancellationToken.None);
            await WaitForStateAsync(client, id, DeploymentState.Running);
            var heard = await Poll.UntilAsync(() => Task.FromResult(fixture.Outcomes.Of<DeploymentSucceeded>(id)), o => o.Count > 0, Deadline, $"DeploymentSucceeded of {name}");
            if (fixture.PublishFaults.Failed(name) == 0 && attempt < 3)
            {
                Assert.True(fixture.PublishFaults.PassedOutsideConsumer(name) > 0, $"the success of {name} was neither failed nor published by the sweep");
                await DeleteAndWaitAsync(client, name);
                continue;
            }

            Assert.Equal(1, fixture.PublishFaults.Failed(name));
            var once = Assert.Single(heard);
            Assert.Equal((id, 1L), (once.CorrelationId, once.Revision));
            await DeleteAndWaitAsync(client, name);
            Assert.Single(fixture.Outcomes.Of<DeploymentSucceeded>(id));
            return;
        }
    }

    /// <summary>
    /// Runs the built <c>workers</c> CLI against the fixture's broker, as a user would; <paramref name="spec"/>, when
    /// given, is written to a file that the argument <c>{file}</c> names. Its exit code and everything it printed.
    /// </summary>
    private async Task<(int ExitCode, string Output)> WorkersAsync(string? spec, params string[] arguments)
    {
        var file = Path.Combine(Path.GetTempPath(), $"workers-it-{Guid.NewGuid():N}.yaml");
        if (spec is not null)
        {
            await File.WriteAllTextAsync(file, spec);
        }

        try
        {
            var dll = Builds.Cli();
            var start = new System.Diagnostics.ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            start.ArgumentList.Add(dll);
            foreach (var argument in arguments)
            {
                start.ArgumentList.Add(argument == "{file}" ? file : argument);
            }

            var broker = fixture.Broker;
            start.ArgumentList.Add("--broker");
            start.ArgumentList.Add($"rabbitmq://{Uri.EscapeDataString(broker.Username)}:{Uri.EscapeDataString(broker.Password)}@{broker.Host}:{broker.Port}/");
            start.ArgumentList.Add("--timeout");
            start.ArgumentList.Add("120");
            using var process = System.Diagnostics.Process.Start(start) ?? throw new InvalidOperationException($"dotnet {dll} did not start");
            var output = process.StandardOutput.ReadToEndAsync();
            var error = process.StandardError.ReadToEndAsync();
            await process.WaitForExitAsync();
            return (process.ExitCode, await output + await error);
        }
        finally
        {
            File.Delete(file);
        }
    }

    private async Task<HashSet<string>> RevisionsInDockerAsync(string name)
    {
        var containers = (await DockerView.ContainersAsync(fixture.Docker, fixture.HostA, name)).Concat(await DockerView.ContainersAsync(fixture.Docker, fixture.HostB, name));
        return [.. containers.Select(c => c.Labels["workers.revision"])];
    }

    private async Task DeleteAndWaitAsync(WorkersClient client, string name)
    {
        await client.DeleteAsync(name, CancellationToken.None);
        await fixture.WaitUntilGoneAsync(client, name, Deadline);
    }

    private static Task<DeploymentStatus> WaitForStateAsync(WorkersClient client, Guid id, DeploymentState state) =>
        PipelineFixture.WaitForStateAsync(client, id, state, Deadline);

    private static string Describe(IReadOnlyList<Sample> samples) =>
        string.Join(" ", samples.Select(s => $"{s.Answering}/{s.Containers}"));

    private static string Name(string prefix) => $"{prefix}-{Guid.NewGuid():N}"[..20];

    private static string Spec(string name, int replicas, string version, string healthPath, int? hostPort = null) =>
        TestSpecs.HttpChecked(name, replicas, version, healthPath, hostPort);

    /// <summary>One look at a deployment: its containers in Docker, and which of them answered HTTP, by revision.</summary>
    private sealed record Sample(IReadOnlyDictionary<string, int> ContainersByRevision, IReadOnlyDictionary<string, int> AnsweringByRevision)
    {
        public int Containers => ContainersByRevision.Values.Sum();

        public int Answering => AnsweringByRevision.Values.Sum();

        public int ContainersOf(string revision) => ContainersByRevision.GetValueOrDefault(revision);

        public int AnsweringOf(string revision) => AnsweringByRevision.GetValueOrDefault(revision);
    }

    /// <summary>Reads Docker and GETs every running replica every 100 ms until stopped.</summary>
    private sealed class Sampler : IAsyncDisposable
    {
        private readonly CancellationTokenSource _stop = new();
        private readonly List<Sample> _samples = [];
        private Task _loop = Task.CompletedTask;

        public static Sampler Start(PipelineFixture fixture, string name)
        {
            var sampler = new Sampler();
            sampler._loop = sampler.RunAsync(fixture, name);
            return sampler;
        }

        public async Task<IReadOnlyList<Sample>> StopAsync()
        {
            await _stop.CancelAsync();
            await _loop;
            return _samples;
        }

        public async ValueTask DisposeAsync()
        {
            await StopAsync();
            _stop.Dispose();
        }

        private async Task RunAsync(PipelineFixture fixture, string name)
        {
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(1) };
            var binds = new Dictionary<string, string> { [fixture.HostA] = "127.0.0.2", [fixture.HostB] = "127.0.0.3" };
            while (!_stop.IsCancellationRequested)
            {
                var containers = new List<(string Revision, string? Url)>();
                foreach (var (host, bind) in binds)
                {
                    foreach (var c in await DockerView.ContainersAsync(fixture.Docker, host, name))
                    {
                        var port = c.State == "running" ? c.Ports.FirstOrDefault(p => p.PublicPort is > 0)?.PublicPort : null;
                        containers.Add((c.Labels["workers.revision"], port is { } p ? $"http://{bind}:{p.ToString(CultureInfo.InvariantCulture)}/" : null));
                    }
                }

                var answered = await Task.WhenAll(containers.Select(async c => (c.Revision, Ok: c.Url is not null && await AnswersAsync(http, c.Url))));
                _samples.Add(new Sample(
                    containers.GroupBy(c => c.Revision).ToDictionary(g => g.Key, g => g.Count()),
                    answered.Where(a => a.Ok).GroupBy(a => a.Revision).ToDictionary(g => g.Key, g => g.Count())));
                try
                {
                    await Task.Delay(TimeSpan.FromMilliseconds(100), _stop.Token);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }

        private static async Task<bool> AnswersAsync(HttpClient http, string url)
        {
            try
            {
                using var response = await http.GetAsync(new Uri(url));
                return response.IsSuccessStatusCode;
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                return false;
            }
        }
    }
}
