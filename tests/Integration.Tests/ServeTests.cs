using System.Diagnostics;

namespace Workers.Integration.Tests;

/// <summary>
/// <c>workers serve</c> started as a process, as a user starts it, on the real Docker engine; then the other commands
/// as processes, which find it through the <c>local</c> context it saved, in a config and data directory of the test's own.
/// </summary>
public sealed class ServeTests : IAsyncLifetime
{
    private readonly CliSandbox _sandbox = new("serve");
    private readonly System.Text.StringBuilder _serveOutput = new();
    private Process? _serve;

    private Dictionary<string, string> Environment => new(_sandbox.Environment) { ["WORKERS_STORE"] = Path.Combine(_sandbox.Directory, "workers.db") };

    public async Task InitializeAsync()
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(Builds.Cli());
        start.ArgumentList.Add("serve");
        foreach (var name in new[] { "WORKERS_BROKER", "WORKERS_SERVER", "WORKERS_TOKEN", "WORKERS_LOG_LEVEL" })
        {
            start.Environment.Remove(name);
        }

        foreach (var (name, value) in Environment)
        {
            start.Environment[name] = value;
        }

        var ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _serve = Process.Start(start) ?? throw new InvalidOperationException("workers serve did not start");
        _serve.OutputDataReceived += (_, line) =>
        {
            lock (_serveOutput)
            {
                _serveOutput.AppendLine(line.Data);
            }

            if (line.Data?.StartsWith("context 'local' saved", StringComparison.Ordinal) == true)
            {
                ready.TrySetResult();
            }
        };
        _serve.ErrorDataReceived += (_, line) =>
        {
            lock (_serveOutput)
            {
                _serveOutput.AppendLine(line.Data);
            }
        };
        _serve.BeginOutputReadLine();
        _serve.BeginErrorReadLine();
        var exited = _serve.WaitForExitAsync();
        if (await Task.WhenAny(ready.Task, exited, Task.Delay(TimeSpan.FromSeconds(120))) != ready.Task)
        {
            Assert.Fail($"workers serve did not get ready within 120 s:\n{ServeOutput}");
        }
    }

    public async Task DisposeAsync()
    {
        if (_serve is { HasExited: false })
        {
            _serve.Kill(entireProcessTree: true);
            await _serve.WaitForExitAsync();
        }

        _serve?.Dispose();
        await _sandbox.DisposeAsync();
    }

    private string ServeOutput
    {
        get
        {
            lock (_serveOutput)
            {
                return _serveOutput.ToString();
            }
        }
    }

    [Fact]
    public async Task Serve_DeployStatusDeleteThroughIt_WatchesReplicasBetweenCommandsAndStopsCleanly()
    {
        var name = $"serve-{Guid.NewGuid():N}"[..16];
        var spec = Path.Combine(_sandbox.Directory, $"{name}.yaml");
        await File.WriteAllTextAsync(spec, $"name: {name}\nimage: {TestImages.Workload}\nports:\n  - container: 8080\nresources:\n  memory: 16Mi\nhealthCheck:\n  http: {{ port: 8080, path: /healthz }}\n  interval: 2s\n  timeout: 1s\n");

        // Through the server: a deploy there answers once it is requested (the embedded default would wait for the outcome).
        var deploy = await CliProcess.RunAsync(["deploy", spec], Environment);
        Assert.True(deploy.Exit == 0, deploy.ToString());
        Assert.Matches($"^deployment {name} requested \\(id [0-9a-f-]{{36}}\\)$", deploy.Out.Trim());
        var running = await Poll.UntilAsync(() => CliProcess.RunAsync(["status", name], Environment), r => r.Exit == 0 && r.Out.Contains(" 1/1 ", StringComparison.Ordinal), TimeSpan.FromSeconds(120), $"{name} with 1/1 healthy");
        Assert.Contains("Running", running.Out, StringComparison.Ordinal);

        // A replica's container killed behind Workers' back is replaced while no command runs: the server's agent watches it.
        await _sandbox.KillTheReplicaAndAwaitItsReplacementAsync(name);

        // A refused token and a missing one: one line each, at once, exit 3.
        var server = (await File.ReadAllLinesAsync(Path.Combine(_sandbox.Directory, "config", "workers", "config.yaml"))).Single(l => l.TrimStart().StartsWith("server:", StringComparison.Ordinal)).Split(": ", 2)[1].Trim();
        var wrong = await CliProcess.RunAsync(["status"], new Dictionary<string, string>(Environment) { ["WORKERS_TOKEN"] = "not-the-token" });
        var none = await CliProcess.RunAsync(["status", "--server", server], Environment);
        foreach (var (run, says) in new[] { (wrong, "refused the token"), (none, "wants a token") })
        {
            Assert.True(run.Exit == 3, run.ToString());
            Assert.Contains(says, Assert.Single(run.ErrorLines), StringComparison.Ordinal);
            // Generous, as CliFailureTests' bound: the target is about 5 s; this catches waiting for the command's timeout.
            Assert.True(run.Error.Length < 1024 && run.Elapsed < TimeSpan.FromSeconds(15), run.ToString());
            Assert.DoesNotContain("not-the-token", run.Error, StringComparison.Ordinal);
        }

        var delete = await CliProcess.RunAsync(["delete", name, "--wait"], Environment);
        Assert.True(delete.Exit == 0, delete.ToString());
        Assert.Equal($"deployment {name} deleted", delete.Out.Trim());
        Assert.Empty(await DockerView.ContainersAsync(_sandbox.Docker, _sandbox.HostId, name));

        // SIGTERM stops it cleanly; the stale context then falls back to the embedded default without a word.
        using (var kill = Process.Start("kill", ["-TERM", _serve!.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
        {
            await kill.WaitForExitAsync();
        }

        using (var stopped = new CancellationTokenSource(TimeSpan.FromSeconds(40)))
        {
            await _serve.WaitForExitAsync(stopped.Token);
        }

        Assert.True(_serve.ExitCode == 0, $"exit {_serve.ExitCode}\n{ServeOutput}");
        Assert.Contains("workers serve: stopped", ServeOutput, StringComparison.Ordinal);
        var after = await CliProcess.RunAsync(["status"], Environment);
        Assert.True(after.Exit == 0 && after.Error.Length == 0, after.ToString());
        Assert.Equal("no deployments", after.Out.Trim());
    }
}
