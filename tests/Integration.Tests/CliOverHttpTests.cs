using System.Text.RegularExpressions;

namespace Workers.Integration.Tests;

/// <summary>
/// Every command over the HTTP API (<c>--server</c>, WORKERS_TOKEN) gives what it gives over the bus: the same lines
/// and the same exit code, against one real pipeline (RabbitMQ, the functions with their HTTP intake, an agent on
/// Docker). Each transport runs the same script on a deployment of its own, and the outputs are compared once what
/// differs by nature (names, ids, ports, clocks) is masked. The deployment's replica prints known lines before it
/// serves; the hosts whose keys are revoked and forgotten are made up, so the fixture's agent
/// keeps its own.
/// </summary>
[Collection(SecretsCollection.Name)]
public sealed partial class CliOverHttpTests(SecretsFixture fixture)
{
    /// <summary>A step of the script: its arguments (NAME, SPEC and SECRET filled in), and whether only its first and last lines are compared (progress depends on when it is polled).</summary>
    private static readonly (string[] Arguments, bool Ends)[] Script =
    [
        (["plan", "SPEC"], false),
        (["plan", "SPEC", "-o", "json"], false),
        (["deploy", "SPEC", "--wait"], true),
        (["status", "NAME"], false),
        (["status", "NAME", "-o", "json"], false),
        (["status", "nosuch-NAME", "-o", "json"], false),
        (["hosts"], false),
        (["version"], false),
        (["version", "-o", "json"], false),
        (["history", "NAME"], false),
        (["history", "NAME", "-o", "json"], false),
        (["events", "NAME"], false),
        (["rollback", "NAME"], false),
        (["secret", "set", "SECRET"], false),
        (["secret", "rm", "SECRET"], false),
        (["secret", "rm", "SECRET"], false),
        (["logs", "NAME"], false),
        (["logs", "NAME", "--tail", "2"], false),
        (["logs", "nosuch-NAME"], false),
        (["logs", "NAME", "--replica", "7"], false),
        (["hosts", "revoke", "gone-NAME"], false),
        (["hosts", "forget", "gone-NAME"], false),
        (["hosts", "forget", "gone-NAME"], false),
        (["delete", "NAME", "--wait"], false),
        (["status", "NAME"], false),
        (["history", "nosuch-NAME"], false),
    ];

    /// <summary>
    /// Five lines, then the web server. All on stdout: the engine reads stdout and stderr side by side, so where a stderr
    /// line falls in a tail is its call (LogsTests reads both streams).
    /// </summary>
    private const string PrintsThenServes = "i=0; while [ $i -lt 5 ]; do echo line-$i; i=$((i+1)); done; exec httpd -f -p 8080 -h /www";

    [Fact]
    public async Task EveryCommand_OverHttp_GivesTheSameOutputAndExitCodeAsOverTheBus()
    {
        var bus = await RunScriptAsync(overHttp: false);
        var http = await RunScriptAsync(overHttp: true);

        for (var i = 0; i < Script.Length; i++)
        {
            var step = $"workers {string.Join(' ', Script[i].Arguments)}";
            Assert.True(bus[i].Exit == http[i].Exit, $"{step}: exit {bus[i].Exit} over the bus, {http[i].Exit} over HTTP\nbus: {bus[i].Text}\nhttp: {http[i].Text}");
            Assert.True(bus[i].Text == http[i].Text, $"{step} differs\n--- bus\n{bus[i].Text}\n--- http\n{http[i].Text}");
        }

        Assert.Equal(0, bus[Array.FindIndex(Script, s => s.Arguments[0] == "deploy")].Exit);
        Assert.Equal((0, "line-0\nline-1\nline-2\nline-3\nline-4\n\n--- stderr\n"), bus[Array.FindIndex(Script, s => s.Arguments is ["logs", "NAME"])]);
        Assert.Equal((0, "line-3\nline-4\n\n--- stderr\n"), bus[Array.FindIndex(Script, s => s.Arguments is ["logs", "NAME", "--tail", "2"])]);
        Assert.Equal((0, "host gone-NAME: revoked\n\n--- stderr\n"), bus[Array.FindIndex(Script, s => s.Arguments is ["hosts", "revoke", _])]);

        // The functions' build from the hosts reply (over HTTP its header), each agent's from its heartbeat (the commit
        // in a build's version is masked as a container id is).
        var version = bus[Array.FindIndex(Script, s => s.Arguments is ["version"])].Text.Split('\n');
        Assert.Equal($"functions: {ContainerIds().Replace(Functions.Handlers.QueryHandler.FunctionsVersion, "CONTAINER")}", version[1]);
        Assert.Equal("agents:", version[2]);
        Assert.EndsWith($" {ContainerIds().Replace(HostAgent.Agent.HeartbeatService.AgentVersion, "CONTAINER")}", version[3], StringComparison.Ordinal);
    }

    [Fact]
    public async Task LogsFollow_OverHttp_PrintsNewLinesAndEndsWhenItsContainerStops_AsOverTheBus()
    {
        foreach (var overHttp in new[] { false, true })
        {
            var how = overHttp ? "over HTTP" : "over the bus";
            var name = $"tick-{(overHttp ? "http" : "bus0")}-{Guid.NewGuid():N}"[..20];
            var spec = Path.Combine(fixture.Directory, $"{name}.yaml");
            await File.WriteAllTextAsync(spec, $"name: {name}\nimage: {TestImages.Workload}\ncommand: [\"sh\", \"-c\", \"i=0; while true; do echo tick-$i; i=$((i+1)); sleep 0.2; done\"]\nresources:\n  memory: 16Mi\n");
            var deployed = await fixture.WorkersViaAsync(overHttp, null, "deploy", spec, "--wait");
            Assert.True(deployed.Exit == 0, $"deploy {how}: exit {deployed.Exit}: {deployed.Error}");
            var status = await fixture.NewClient().StatusAsync(name, null, CancellationToken.None);
            var container = Assert.Single(Assert.Single(status.Deployments).Replicas).ContainerId!;

            // Once it has followed ten lines the container is stopped: the follow ends there, with that container, even
            // though the functions start a replacement (which prints from tick-0 again).
            var run = await fixture.WorkersWhileAsync(
                overHttp,
                async printed =>
                {
                    await Poll.UntilAsync(() => Task.FromResult(printed()), text => text.Contains("tick-10\n", StringComparison.Ordinal), TimeSpan.FromSeconds(60), $"ten ticks followed {how}");
                    await fixture.Docker.Containers.StopContainerAsync(container, new Docker.DotNet.Models.ContainerStopParameters { WaitBeforeKillSeconds = 1 });
                },
                "logs", name, "-f");

            Assert.True(run.Exit == 0, $"logs -f {how}: exit {run.Exit}: {run.Error}");
            Assert.Equal(string.Empty, run.Error);
            var ticks = run.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.Equal(Enumerable.Range(0, ticks.Length).Select(i => $"tick-{i}"), ticks);
            Assert.True(ticks.Length > 10, $"{how}: {ticks.Length} ticks");
            Assert.Equal(0, (await fixture.WorkersViaAsync(overHttp, null, "delete", name, "--wait")).Exit);
        }
    }

    private async Task<List<(int Exit, string Text)>> RunScriptAsync(bool overHttp)
    {
        var name = $"par-{(overHttp ? "http" : "bus0")}-{Guid.NewGuid():N}"[..20];
        var secret = $"sec-{(overHttp ? "http" : "bus0")}-{Guid.NewGuid():N}"[..20];
        var spec = Path.Combine(fixture.Directory, $"{name}.yaml");
        await File.WriteAllTextAsync(spec, $"name: {name}\nimage: {TestImages.Workload}\ncommand: [\"sh\", \"-c\", \"{PrintsThenServes}\"]\nports:\n  - container: 8080\nresources:\n  memory: 16Mi\n");
        var results = new List<(int, string)>();
        foreach (var (arguments, ends) in Script)
        {
            var filled = arguments.Select(a => a.Replace("NAME", name, StringComparison.Ordinal).Replace("SPEC", spec, StringComparison.Ordinal).Replace("SECRET", secret, StringComparison.Ordinal)).ToArray();
            var run = await fixture.WorkersViaAsync(overHttp, filled[0] == "secret" && filled[1] == "set" ? "value\n" : null, filled);
            var text = Mask(run.Out + "\n--- stderr\n" + run.Error, name, secret, spec);
            if (ends)
            {
                var lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries);
                text = $"{lines[0]}\n{lines[^1]}";
            }

            results.Add((run.Exit, text));
        }

        return results;
    }

    /// <summary>
    /// What differs by nature between two runs: the names, ids, container ids, ports, times and ages, column padding,
    /// and who requested a revision (the CLI's user over the bus, <c>api</c> over HTTP: the server records its caller).
    /// </summary>
    private static string Mask(string text, string name, string secret, string spec)
    {
        text = text.Replace(spec, "SPEC", StringComparison.Ordinal).Replace(name, "NAME", StringComparison.Ordinal).Replace(secret, "SECRET", StringComparison.Ordinal);
        text = Guids().Replace(text, "ID");
        text = Times().Replace(text, "TIME");
        text = ContainerIds().Replace(text, "CONTAINER");
        text = Ports().Replace(text, "PORT");
        text = Ages().Replace(text, "AGE");
        text = Sequences().Replace(text, "\"sequence\": N");
        text = Requesters().Replace(text, "\"requestedBy\": REQUESTER");
        text = RequestedBy().Replace(text, "requested by REQUESTER");
        return Spaces().Replace(text, " ");
    }

    [GeneratedRegex("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")]
    private static partial Regex Guids();

    [GeneratedRegex(@"\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)?")]
    private static partial Regex Times();

    [GeneratedRegex(@"\b[0-9a-f]{12,64}\b")]
    private static partial Regex ContainerIds();

    [GeneratedRegex(@"\b\d{4,5}\b")]
    private static partial Regex Ports();

    [GeneratedRegex(@"\b\d+(ms|s|m|h)\b")]
    private static partial Regex Ages();

    [GeneratedRegex(@"""sequence"": \d+")]
    private static partial Regex Sequences();

    [GeneratedRegex(@"""requestedBy"": ""[^""]*""")]
    private static partial Regex Requesters();

    [GeneratedRegex(@"requested by \S+")]
    private static partial Regex RequestedBy();

    [GeneratedRegex(@"[ \t]+")]
    private static partial Regex Spaces();
}
