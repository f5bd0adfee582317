using System.Diagnostics;
using System.Globalization;
using Workers.Cli;

namespace Workers.Integration.Tests;

/// <summary>
/// The default on one machine: the first command that needs the pipeline starts <c>workers serve</c> in the background,
/// and the commands after it are its clients. As processes, as a user runs them, on the real Docker engine, in a config
/// and data directory of the test's own.
/// </summary>
public sealed class BackgroundServerTests : IAsyncLifetime
{
    private readonly CliSandbox _sandbox = new("auto");

    private Dictionary<string, string> Environment => new(_sandbox.Environment) { [BackgroundServer.Variable] = "on" };

    private string DataDirectory => Path.Combine(_sandbox.Directory, "data");

    private LocalServerRecord? Record => LocalServerRecord.Read(Path.Combine(DataDirectory, "workers", "serve.record"));

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        await CliProcess.RunAsync(["serve", "stop"], Environment);
        foreach (var pid in ServerProcesses())
        {
            try
            {
                using var left = Process.GetProcessById(pid);
                left.Kill();
            }
            catch (ArgumentException)
            {
                // It ended meanwhile.
            }
        }

        await _sandbox.DisposeAsync();
    }

    [Fact]
    public async Task FirstCommand_StartsAServerInTheBackground_ThatWatchesReplicasBetweenCommands_AndServeStopEndsIt()
    {
        var name = $"auto-{Guid.NewGuid():N}"[..16];
        var spec = Path.Combine(_sandbox.Directory, $"{name}.yaml");
        await File.WriteAllTextAsync(spec, $"name: {name}\nimage: {TestImages.Workload}\nports:\n  - container: 8080\nresources:\n  memory: 16Mi\nupdate:\n  minReady: 0s\n");

        // The command ends with its answer while the server it started runs on (it holds none of the command's pipes:
        // CliProcess reads the command's output to its end).
        var deploy = await CliProcess.RunAsync(["deploy", spec, "--wait"], Environment);
        Assert.True(deploy.Exit == 0, deploy.ToString());
        Assert.Contains("starting a server for this machine in the background", deploy.Error, StringComparison.Ordinal);
        Assert.EndsWith($"deployment {name} revision 1 is running: 1 healthy replica(s)", deploy.Out.Trim(), StringComparison.Ordinal);
        var server = Assert.IsType<LocalServerRecord>(Record);
        Assert.True(server.Background);
        Assert.Equal(new[] { server.ProcessId }, ServerProcesses());

        // One server per user: a second one, started by hand, stops at once and says which runs.
        var second = await CliProcess.RunAsync(["serve"], Environment);
        Assert.True(second.Exit == 3, second.ToString());
        Assert.Equal($"workers: workers serve already runs for this user (pid {server.ProcessId}): 'workers serve stop' stops it", second.Error.Trim());

        // A replica's container killed while no command runs is replaced: the server's agent watches it.
        await _sandbox.KillTheReplicaAndAwaitItsReplacementAsync(name);

        // The next command is the same server's client: it starts nothing.
        var delete = await CliProcess.RunAsync(["delete", name, "--wait"], Environment);
        Assert.True(delete.Exit == 0 && delete.Error.Length == 0, delete.ToString());
        Assert.Equal($"deployment {name} deleted", delete.Out.Trim());
        Assert.Empty(await DockerView.ContainersAsync(_sandbox.Docker, _sandbox.HostId, name));
        Assert.Equal(server, Record);

        var stop = await CliProcess.RunAsync(["serve", "stop"], Environment);
        Assert.True(stop.Exit == 0, stop.ToString());
        Assert.Equal($"workers serve: stopped (pid {server.ProcessId})", stop.Out.Trim());
        await Poll.UntilAsync(() => Task.FromResult(ServerProcesses()), pids => pids.Count == 0, TimeSpan.FromSeconds(30), "the server's process gone");
        Assert.Null(Record);
        var again = await CliProcess.RunAsync(["serve", "stop"], Environment);
        Assert.True(again.Exit == 0 && again.Out.Trim() == "workers serve: none runs", again.ToString());
    }

    [Fact]
    public async Task TwoFirstCommandsAtOnce_ShareOneServer_AndAServerOfAnotherBuildOrOtherSettings_IsReplaced()
    {
        var missing = $"missing-{Guid.NewGuid():N}"[..16];
        var both = await Task.WhenAll(CliProcess.RunAsync(["delete", missing], Environment), CliProcess.RunAsync(["delete", missing], Environment));
        foreach (var run in both)
        {
            Assert.True(run.Exit == 1, run.ToString());
            Assert.EndsWith($"no deployment named {missing}", run.Error.Trim(), StringComparison.Ordinal);
        }

        var server = Assert.IsType<LocalServerRecord>(Record);
        Assert.Equal(new[] { server.ProcessId }, ServerProcesses());

        // As after an upgrade of the CLI: the server that runs is not this build, so the command replaces it.
        var path = Path.Combine(DataDirectory, "workers", "serve.record");
        await File.WriteAllTextAsync(path, (await File.ReadAllTextAsync(path)).Replace($"build={server.Build}", "build=an-older-build", StringComparison.Ordinal));
        var replaced = await CliProcess.RunAsync(["delete", missing], Environment);
        Assert.True(replaced.Exit == 1, replaced.ToString());
        Assert.Contains($"the background server (pid {server.ProcessId}) is another build (an-older-build): stopping it", replaced.Error, StringComparison.Ordinal);
        var now = Assert.IsType<LocalServerRecord>(Record);
        Assert.NotEqual(server.ProcessId, now.ProcessId);
        Assert.Equal(server.Build, now.Build);
        Assert.Equal(new[] { now.ProcessId }, ServerProcesses());

        // A setting of the command's own (its log level) or one nothing reads (a pinned Docker API version: the agent
        // negotiates) keeps the server; one that shapes the pipeline (the agent's labels) replaces it, so that the
        // server does what this command's settings say.
        var quiet = await CliProcess.RunAsync(["delete", missing], new Dictionary<string, string>(Environment) { ["WORKERS_LOG_LEVEL"] = "error", ["DOCKER_API_VERSION"] = "1.40" });
        Assert.True(quiet.Exit == 1 && !quiet.Error.Contains("stopping it", StringComparison.Ordinal), quiet.ToString());
        Assert.Equal(now, Record);
        var labelled = await CliProcess.RunAsync(["delete", missing], new Dictionary<string, string>(Environment) { ["WORKERS_HOST_LABELS"] = "zone=a" });
        Assert.True(labelled.Exit == 1, labelled.ToString());
        Assert.Contains($"the background server (pid {now.ProcessId}) was started with other settings: stopping it", labelled.Error, StringComparison.Ordinal);
        var relabelled = Assert.IsType<LocalServerRecord>(Record);
        Assert.NotEqual(now.ProcessId, relabelled.ProcessId);
        Assert.Equal(new[] { relabelled.ProcessId }, ServerProcesses());
    }

    [Fact]
    public async Task AnAutoServeSettingThatIsNeitherOnNorOff_IsRefused_BeforeAnythingStarts()
    {
        var run = await CliProcess.RunAsync(["delete", "anything"], new Dictionary<string, string>(Environment) { [BackgroundServer.Variable] = "maybe" });
        Assert.True(run.Exit == 2, run.ToString());
        Assert.Equal($"workers: {BackgroundServer.Variable}: 'maybe' is neither 'on' nor 'off'", run.Error.Trim());
        Assert.Empty(ServerProcesses());
    }

    [Fact]
    public async Task WhenTheServerCannotStart_TheCommandReportsWhy_OnceAndAsItsOwnFailure()
    {
        var nowhere = $"unix://{Path.Combine(_sandbox.Directory, "no-docker.sock")}";
        var spec = Path.Combine(_sandbox.Directory, "plan.yaml");
        await File.WriteAllTextAsync(spec, $"name: planned\nimage: {TestImages.Workload}\n");
        var run = await CliProcess.RunAsync(["plan", spec, "-o", "json"], new Dictionary<string, string>(Environment) { ["DOCKER_HOST"] = nowhere });
        Assert.True(run.Exit == 3, run.ToString());
        using var answer = System.Text.Json.JsonDocument.Parse(run.Out);
        var error = answer.RootElement.GetProperty("error");
        Assert.Equal("docker.unreachable", error.GetProperty("code").GetString());
        Assert.Contains(nowhere, error.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Single(run.ErrorLines, l => l.Contains(nowhere, StringComparison.Ordinal));
        Assert.DoesNotContain("in this process", run.Error, StringComparison.Ordinal);
        Assert.Empty(ServerProcesses());
        Assert.Null(Record);
    }

    /// <summary>The <c>workers serve</c> processes of this test's data directory (from each process's environment, in /proc).</summary>
    private List<int> ServerProcesses()
    {
        var marker = $"XDG_DATA_HOME={DataDirectory}\0";
        var found = new List<int>();
        foreach (var directory in System.IO.Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(directory), NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
            {
                continue;
            }

            try
            {
                if (File.ReadAllText(Path.Combine(directory, "cmdline")).Contains("\0serve\0", StringComparison.Ordinal)
                    && File.ReadAllText(Path.Combine(directory, "environ")).Contains(marker, StringComparison.Ordinal))
                {
                    found.Add(pid);
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // The process ended while it was read.
            }
        }

        return found;
    }
}
