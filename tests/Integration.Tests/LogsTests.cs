using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Workers.Cli;
using Workers.Contracts.Messages;

namespace Workers.Integration.Tests;

/// <summary>
/// <c>workers logs</c> and <c>GET /api/deployments/{name}/logs</c> on real RabbitMQ (every piece under its own broker
/// user), real agents and real containers whose command prints known lines.
/// </summary>
[Collection(IntakeCollection.Name)]
public sealed class LogsTests(IntakeFixture fixture)
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(90);

    /// <summary>Five lines on stdout, one on stderr, then the web server, in the foreground.</summary>
    private const string PrintsThenServes = "i=0; while [ $i -lt 5 ]; do echo line-$i; i=$((i+1)); done; echo warn-1 >&2; exec httpd -f -p 8080 -h /www";

    /// <summary>A line every 200 ms, for as long as it runs.</summary>
    private const string Ticks = "i=0; while true; do echo tick-$i; i=$((i+1)); sleep 0.2; done";

    [Fact]
    public async Task Logs_ReplicaThatPrints_TailOverTheBusAndOverHttpGivesItsLastLinesInOrder()
    {
        var client = fixture.NewClient();
        var name = Name("printer");
        await DeployAsync(client, name, PrintsThenServes, replicas: 1);

        var all = await Poll.UntilAsync(
            () => client.LogsAsync(name, null, null, null, null, null, CancellationToken.None),
            r => r.Lines.Any(l => l.Text == "warn-1"),
            Deadline,
            "the replica's lines");
        Assert.Null(all.Problem);
        Assert.Equal(["line-0", "line-1", "line-2", "line-3", "line-4"], all.Lines.Where(l => l.Stream == "stdout").Select(l => l.Text));
        Assert.Equal("warn-1", Assert.Single(all.Lines, l => l.Stream == "stderr").Text);
        Assert.True(all.Running);
        Assert.False(all.More);

        // stdout and stderr are read by the engine side by side, so where warn-1 falls among the last lines is its call.
        var tail = await client.LogsAsync(name, 0, 2, null, null, null, CancellationToken.None);
        Assert.True(tail.Problem is null, $"{tail.Problem}: {tail.Error}");
        Assert.Equal(all.ContainerId, tail.ContainerId);
        Assert.Equal(all.Lines.TakeLast(2), tail.Lines);

        using var http = new HttpClient { BaseAddress = fixture.IntakeAddress, Timeout = TimeSpan.FromSeconds(30) };
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/api/deployments/{name}/logs?tail=3&replica=0");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", fixture.IntakeToken);
        using var response = await http.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal(all.Lines.TakeLast(3).Select(l => l.Text), body.GetProperty("lines").EnumerateArray().Select(l => l.GetProperty("text").GetString()));
        Assert.True(body.GetProperty("running").GetBoolean());

        using var unauthorized = await http.GetAsync(new Uri($"/api/deployments/{name}/logs", UriKind.Relative));
        Assert.Equal(HttpStatusCode.Unauthorized, unauthorized.StatusCode);
        await DeleteAndWaitAsync(client, name);
    }

    [Fact]
    public async Task Logs_FollowInTheCli_PrintsNewLinesAndEndsWhenTheContainerStops()
    {
        var client = fixture.NewClient();
        var name = Name("ticker");
        var status = await DeployAsync(client, name, Ticks, replicas: 1);
        var output = new LockedWriter();
        var error = new LockedWriter();

        var cli = WorkersCli.RunAsync(["logs", name, "-f", "--broker", BrokerUrl(fixture.Broker)], new CliConsole(() => new MemoryStream(), output, error));
        await Poll.UntilAsync(() => Task.FromResult(output.ToString()), text => text.Contains("tick-10\n", StringComparison.Ordinal), Deadline, "ten ticks followed");
        await fixture.Docker.Containers.StopContainerAsync(status.Replicas.Single().ContainerId!, new Docker.DotNet.Models.ContainerStopParameters { WaitBeforeKillSeconds = 1 });
        var exit = await cli.WaitAsync(Deadline);

        Assert.True(exit == ExitCodes.Ok, $"exit {exit}: {error}");
        var ticks = output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(Enumerable.Range(0, ticks.Length).Select(i => $"tick-{i}"), ticks);

        // The functions host's event log has a line (a warning) for the replica lost with its container.
        await Poll.UntilAsync(
            () => Task.FromResult(fixture.FunctionsLog.Lines.ToList()),
            lines => lines.Any(l => l.StartsWith($"Event replica.lost {name} r1 #0 on ", StringComparison.Ordinal) && l.Contains("its container exited", StringComparison.Ordinal)),
            TimeSpan.FromSeconds(30),
            "the event log line of the stopped replica");
        await DeleteAndWaitAsync(client, name);
    }

    [Fact]
    public async Task Logs_UnknownNameOrReplica_ExitsOneSayingWhichIsMissing()
    {
        var client = fixture.NewClient();
        var name = Name("known");
        await DeployAsync(client, name, PrintsThenServes, replicas: 1);

        var (noName, _, noNameError) = await CliAsync("logs", Name("nobody"));
        var (noReplica, _, noReplicaError) = await CliAsync("logs", name, "--replica", "7");

        Assert.Equal(ExitCodes.Failed, noName);
        Assert.Contains("there is no deployment named", noNameError, StringComparison.Ordinal);
        Assert.Equal(ExitCodes.Failed, noReplica);
        Assert.Contains($"has no replica 7 (it has 0)", noReplicaError, StringComparison.Ordinal);
        await DeleteAndWaitAsync(client, name);
    }

    [Fact]
    public async Task Logs_ReplicaOnAHostThatIsDown_IsAnsweredWithinTheDeadlineNamingTheHost()
    {
        var client = fixture.NewClient();
        var name = Name("stranded");
        var status = await DeployAsync(client, name, PrintsThenServes, replicas: 2);
        var stranded = status.Replicas.Single(r => r.HostId == fixture.HostA);

        await fixture.StopAgentAsync(fixture.HostA);
        try
        {
            var asked = DateTimeOffset.UtcNow;
            var reply = await client.LogsAsync(name, stranded.Index, null, null, null, stranded.ContainerId, CancellationToken.None);

            Assert.Equal(LogsProblem.HostUnavailable, reply.Problem);
            Assert.Contains($"host {fixture.HostA}, which runs replica {stranded.Index} of {name}, did not answer within 10s", reply.Error, StringComparison.Ordinal);
            Assert.InRange(DateTimeOffset.UtcNow - asked, TimeSpan.Zero, TimeSpan.FromSeconds(25));
        }
        finally
        {
            await fixture.RestartAgentAsync(fixture.HostA);
        }

        await DeleteAndWaitAsync(client, name);
    }

    private async Task<DeploymentStatus> DeployAsync(WorkersClient client, string name, string command, int replicas)
    {
        var spec = $$"""
            name: {{name}}
            image: {{TestImages.Workload}}
            replicas: {{replicas}}
            command: ["sh", "-c", "{{command}}"]
            resources:
              memory: 16Mi

            """;
        var id = await client.DeployAsync(spec, $"{name}.yaml", CancellationToken.None);
        return await PipelineFixture.WaitForStateAsync(client, id, DeploymentState.Running, Deadline);
    }

    private async Task<(int Exit, string Output, string Error)> CliAsync(params string[] args)
    {
        var output = new LockedWriter();
        var error = new LockedWriter();
        var exit = await WorkersCli.RunAsync([.. args, "--broker", BrokerUrl(fixture.Broker), "--timeout", "60"], new CliConsole(() => new MemoryStream(), output, error));
        return (exit, output.ToString(), error.ToString());
    }

    private async Task DeleteAndWaitAsync(WorkersClient client, string name)
    {
        await client.DeleteAsync(name, CancellationToken.None);
        await fixture.WaitUntilGoneAsync(client, name, Deadline);
    }

    private static string BrokerUrl(Transport.Broker broker) =>
        $"rabbitmq://{Uri.EscapeDataString(broker.Username)}:{Uri.EscapeDataString(broker.Password)}@{broker.Host}:{broker.Port}/";

    private static string Name(string prefix) => $"{prefix}-{Guid.NewGuid():N}"[..20];

    /// <summary>A text writer the CLI writes to while the test reads it.</summary>
    private sealed class LockedWriter : StringWriter
    {
        private readonly Lock _gate = new();

        public override void Write(char value)
        {
            lock (_gate)
            {
                base.Write(value);
            }
        }

        public override void Write(string? value)
        {
            lock (_gate)
            {
                base.Write(value);
            }
        }

        public override void WriteLine(string? value)
        {
            lock (_gate)
            {
                base.WriteLine(value);
            }
        }

        public override Task WriteLineAsync(string? value)
        {
            WriteLine(value);
            return Task.CompletedTask;
        }

        public override string ToString()
        {
            lock (_gate)
            {
                return base.ToString();
            }
        }
    }
}
