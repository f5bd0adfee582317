using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;

namespace Workers.Cli.Tests;

/// <summary>
/// Contexts (<c>workers context add|use|list|remove</c>) and where a command goes, as whole processes with a config
/// directory of their own: no broker, server or Docker is needed.
/// </summary>
public sealed class ContextTests : IDisposable
{
    private const string Token = "tok-0123456789abcdef-never-printed";

    private readonly string _config = Directory.CreateTempSubdirectory("workers-cli-contexts-").FullName;

    public void Dispose() => Directory.Delete(_config, recursive: true);

    private Dictionary<string, string> Environment => new() { ["XDG_CONFIG_HOME"] = _config };

    private string ConfigFile => Path.Combine(_config, "workers", "config.yaml");

    [Fact]
    public async Task Context_AddUseListRemove_RoundTripsThroughAnOwnerOnlyFileAndNeverPrintsTheToken()
    {
        var added = await CliProcess.RunWithInputAsync(Environment, Token + "\n", "context", "add", "prod", "--server", "https://workers.example:8443", "--token-stdin");
        var broker = await CliProcess.RunAsync(Environment, "context", "add", "lab", "--broker", "rabbitmq://ops:hunter2@rabbit.example:5672/");
        var used = await CliProcess.RunAsync(Environment, "context", "use", "prod");
        var listed = await CliProcess.RunAsync(Environment, "context", "list");
        var json = await CliProcess.RunAsync(Environment, "context", "list", "-o", "json");

        Assert.Equal((0, 0, 0, 0, 0), (added.Exit, broker.Exit, used.Exit, listed.Exit, json.Exit));
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(ConfigFile));
        }

        Assert.Contains(Token, await File.ReadAllTextAsync(ConfigFile), StringComparison.Ordinal);
        foreach (var run in new[] { added, broker, used, listed, json })
        {
            Assert.DoesNotContain(Token, run.Out + run.Error, StringComparison.Ordinal);
            Assert.DoesNotContain("hunter2", run.Out + run.Error, StringComparison.Ordinal);
        }

        Assert.Matches(@"(?m)^\*\s+prod\s+https://workers\.example:8443/?\s+set$", listed.Out);
        Assert.Matches(@"(?m)^\s+lab\s+rabbitmq://ops@rabbit\.example:5672/\s+none$", listed.Out);
        using var document = JsonDocument.Parse(json.Out);
        var prod = document.RootElement.EnumerateArray().Single(c => c.GetProperty("name").GetString() == "prod");
        Assert.True(prod.GetProperty("current").GetBoolean());
        Assert.True(prod.GetProperty("token").GetBoolean());

        var removed = await CliProcess.RunAsync(Environment, "context", "remove", "prod");
        var after = await CliProcess.RunAsync(Environment, "context", "list");

        Assert.Equal(0, removed.Exit);
        Assert.DoesNotContain("prod", after.Out, StringComparison.Ordinal);
        Assert.DoesNotContain("*", after.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Context_Add_WritesTheKeysTheDocsShow_AndAnUnknownKeyIsRefusedWithItsLine()
    {
        await CliProcess.RunWithInputAsync(Environment, Token + "\n", "context", "add", "prod", "--server", "https://workers.example:8443", "--token-stdin");
        await CliProcess.RunAsync(Environment, "context", "use", "prod");

        var written = await File.ReadAllTextAsync(ConfigFile);
        Assert.Matches(@"(?m)^current-context: prod$", written);
        Assert.Matches(@"(?m)^contexts:$", written);
        Assert.Matches(@"(?m)^- name: prod$", written);
        Assert.Matches(@"(?m)^  server: https://workers\.example:8443/?$", written);
        Assert.Matches(@"(?m)^  token: ", written);

        await File.WriteAllTextAsync(ConfigFile, written + "current-namespace: dev\n");
        var refused = await CliProcess.RunAsync(Environment, "context", "list");

        Assert.Equal(2, refused.Exit);
        Assert.Contains($"{ConfigFile}:{written.Split('\n').Length}:", refused.Error, StringComparison.Ordinal);
        Assert.Contains("current-namespace", refused.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Context_UseUnknownName_ExitsOneWithASuggestion()
    {
        await CliProcess.RunAsync(Environment, "context", "add", "staging", "--broker", "rabbitmq://u:p@rabbit:5672/");

        var (exit, _, error) = await CliProcess.RunAsync(Environment, "context", "use", "stagnig");

        Assert.Equal(1, exit);
        Assert.Equal("workers: no context named stagnig; did you mean 'staging'?", error.Trim());
    }

    [Fact]
    public async Task Status_CurrentContextServerDown_OneLineSoonExitThree()
    {
        var down = $"http://127.0.0.1:{ClosedPort()}";
        await CliProcess.RunWithInputAsync(Environment, Token, "context", "add", "down", "--server", down, "--token-stdin");
        await CliProcess.RunAsync(Environment, "context", "use", "down");

        var clock = Stopwatch.StartNew();
        var (exit, output, error) = await CliProcess.RunAsync(Environment, "status");
        clock.Stop();

        Assert.Equal(3, exit);
        Assert.Equal($"workers: cannot reach the Workers server at {down}: connection refused", error.Trim());
        Assert.True(error.Length < 1024 && output.Length == 0, $"out: {output}\nerr: {error}");
        // Generous, as CliFailureTests' bound: the target is about 5 s as a whole process (about 1 s on an idle machine);
        // this catches waiting for the command's timeout, not a loaded machine's slow process start.
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(15), $"took {clock.Elapsed}");
    }

    [Fact]
    public async Task Target_FlagBeatsEnvironmentBeatsContext()
    {
        var fromContext = $"http://127.0.0.1:{ClosedPort()}";
        await CliProcess.RunAsync(Environment, "context", "add", "ctx", "--server", fromContext);
        await CliProcess.RunAsync(Environment, "context", "use", "ctx");
        var environment = new Dictionary<string, string>(Environment) { ["WORKERS_SERVER"] = "http://127.0.0.1:2" };

        var byEnvironment = await CliProcess.RunAsync(environment, "hosts");
        var byFlag = await CliProcess.RunAsync(environment, "hosts", "--server", "http://127.0.0.1:3");
        var byContext = await CliProcess.RunAsync(Environment, "hosts");
        var both = await CliProcess.RunAsync(Environment, "hosts", "--server", "http://127.0.0.1:3", "--broker", "memory");

        Assert.Contains("http://127.0.0.1:2:", byEnvironment.Error, StringComparison.Ordinal);
        Assert.Contains("http://127.0.0.1:3:", byFlag.Error, StringComparison.Ordinal);
        Assert.Contains($"{fromContext}:", byContext.Error, StringComparison.Ordinal);
        Assert.Equal((3, 3, 3, 2), (byEnvironment.Exit, byFlag.Exit, byContext.Exit, both.Exit));
    }

    [Fact]
    public async Task DeadLetters_ServerTarget_RefusedInOneLineSayingToGiveABroker()
    {
        var server = $"http://127.0.0.1:{ClosedPort()}";
        await CliProcess.RunAsync(Environment, "context", "add", "ctx", "--server", server);
        await CliProcess.RunAsync(Environment, "context", "use", "ctx");

        var byContext = await CliProcess.RunAsync(Environment, "dead-letters", "list");
        var byFlag = await CliProcess.RunAsync(Environment, "dead-letters", "replay", "--server", server);

        foreach (var run in new[] { byContext, byFlag })
        {
            Assert.Equal((2, string.Empty), (run.Exit, run.Out));
            Assert.Equal(
                $"workers: dead letters are read from RabbitMQ with its credentials, not through the Workers server at {server}: give --broker rabbitmq://USER:PASSWORD@HOST:5672/ (a user that may read the *_error queues), or set WORKERS_BROKER",
                run.Error.Trim());
        }
    }

    [Fact]
    public async Task DeadLetters_CurrentContextBroker_IsTheBrokerItReads()
    {
        var port = ClosedPort();
        await CliProcess.RunAsync(Environment, "context", "add", "lab", "--broker", $"rabbitmq://ops:hunter2@127.0.0.1:{port}/");
        await CliProcess.RunAsync(Environment, "context", "use", "lab");

        var (exit, _, error) = await CliProcess.RunAsync(Environment, "dead-letters", "list");

        Assert.Equal(3, exit);
        Assert.Equal($"workers: cannot reach RabbitMQ at 127.0.0.1:{port}: connection refused", error.Trim());
    }

    [Fact]
    public async Task Status_StaleServeContext_FallsBackToTheEmbeddedDefaultQuietly()
    {
        // What 'workers serve' leaves behind once it has stopped: its context, current, with nothing listening.
        Directory.CreateDirectory(Path.GetDirectoryName(ConfigFile)!);
        await File.WriteAllTextAsync(ConfigFile, $"current-context: local\ncontexts:\n- name: local\n  server: http://127.0.0.1:{ClosedPort()}\n  token: {Token}\n  serve: true\n");
        var environment = new Dictionary<string, string>(Environment) { ["WORKERS_STORE"] = Path.Combine(_config, "store.db") };

        var (exit, output, error) = await CliProcess.RunAsync(environment, "status");

        Assert.Equal(0, exit);
        Assert.Equal("no deployments", output.Trim());
        Assert.Equal(string.Empty, error);
    }

    /// <summary>A loopback port that was free a moment ago and that nothing listens on.</summary>
    private static int ClosedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
