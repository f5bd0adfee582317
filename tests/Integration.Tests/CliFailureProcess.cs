using System.Diagnostics;

namespace Workers.Integration.Tests;

/// <summary>The built <c>workers</c> CLI run as a process, as a user runs it, with the environment a test gives it.</summary>
internal static class CliFailureProcess
{
    /// <summary>Past this the process is killed and the test fails: a hang must not hang the suite.</summary>
    private static readonly TimeSpan KillAfter = TimeSpan.FromSeconds(90);

    /// <summary>The settings the CLI reads from the environment; a test starts from none of them but those it sets.</summary>
    private static readonly string[] Settings = ["WORKERS_BROKER", "WORKERS_SERVER", "WORKERS_TOKEN", "WORKERS_STORE", "WORKERS_HOST_ID", "WORKERS_LOG_LEVEL", "DOCKER_HOST", "DOCKER_CONTEXT"];

    public static async Task<CliRun> RunAsync(IReadOnlyList<string> arguments, IReadOnlyDictionary<string, string>? environment = null)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true, UseShellExecute = false };
        start.ArgumentList.Add(Builds.Cli());
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        foreach (var name in Settings)
        {
            start.Environment.Remove(name);
        }

        // No user's contexts: a test that wants some gives XDG_CONFIG_HOME itself.
        start.Environment["XDG_CONFIG_HOME"] = Path.Combine(Path.GetTempPath(), "workers-it-no-config");
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[name] = value;
        }

        var clock = Stopwatch.StartNew();
        using var process = Process.Start(start) ?? throw new InvalidOperationException("dotnet workers.dll did not start");
        process.StandardInput.Close();
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var kill = new CancellationTokenSource(KillAfter);
        try
        {
            await process.WaitForExitAsync(kill.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"workers {string.Join(' ', arguments)} was still running after {KillAfter.TotalSeconds:0}s");
        }

        clock.Stop();
        return new CliRun(process.ExitCode, await output, await error, clock.Elapsed);
    }
}

/// <summary>How a run of the CLI ended.</summary>
internal sealed record CliRun(int Exit, string Out, string Error, TimeSpan Elapsed)
{
    public string[] ErrorLines => Error.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    public override string ToString() => $"exit {Exit} after {Elapsed.TotalSeconds:0.00}s\nstdout: {Out}\nstderr: {Error}";
}
