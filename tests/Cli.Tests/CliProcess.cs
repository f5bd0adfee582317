using System.Diagnostics;

namespace Workers.Cli.Tests;

/// <summary>The built <c>workers</c> run as a whole process, with only the settings a test gives it.</summary>
internal static class CliProcess
{
    private static readonly TimeSpan KillAfter = TimeSpan.FromSeconds(60);

    private static readonly string[] Settings = ["WORKERS_BROKER", "WORKERS_SERVER", "WORKERS_TOKEN", "WORKERS_STORE", "WORKERS_HOST_ID", "WORKERS_LOG_LEVEL", "DOCKER_HOST", "DOCKER_CONTEXT"];

    /// <summary>A config directory nothing creates: a test that wants contexts gives XDG_CONFIG_HOME itself, and no user's contexts leak in.</summary>
    private static readonly string NoConfig = Path.Combine(Path.GetTempPath(), "workers-cli-tests-no-config");

    public static Task<(int Exit, string Out, string Error)> RunAsync(IReadOnlyDictionary<string, string> environment, params string[] arguments) =>
        RunWithInputAsync(environment, null, arguments);

    public static async Task<(int Exit, string Out, string Error)> RunWithInputAsync(IReadOnlyDictionary<string, string> environment, string? input, params string[] arguments)
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

        start.Environment["XDG_CONFIG_HOME"] = NoConfig;
        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException("dotnet workers.dll did not start");
        if (input is not null)
        {
            await process.StandardInput.WriteAsync(input);
        }

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

        return (process.ExitCode, await output, await error);
    }
}
