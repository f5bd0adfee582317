using System.Diagnostics;

namespace Workers.Testing;

/// <summary>
/// The built <c>workers</c> CLI run as a whole process, as a user runs it: with none of the CLI's settings from the
/// test's own environment but those the test gives, and no user's contexts.
/// </summary>
internal static class CliProcess
{
    /// <summary>Past this the process is killed and the test fails: a hang must not hang the suite.</summary>
    private static readonly TimeSpan DefaultKillAfter = TimeSpan.FromSeconds(90);

    /// <summary>The settings the CLI reads from the environment.</summary>
    private static readonly string[] Settings = ["WORKERS_BROKER", "WORKERS_SERVER", "WORKERS_TOKEN", "WORKERS_STORE", "WORKERS_HOST_ID", "WORKERS_LOG_LEVEL", "WORKERS_SECRETS_KEY", "DOCKER_HOST", "DOCKER_CONTEXT", "WORKERS_AUTO_SERVE"];

    /// <summary>A config directory nothing creates: a test that wants contexts gives XDG_CONFIG_HOME itself.</summary>
    private static readonly string NoConfig = Path.Combine(Path.GetTempPath(), "workers-tests-no-config");

    public static Task<CliRun> RunAsync(IReadOnlyDictionary<string, string> environment, params string[] arguments) =>
        RunAsync(arguments, environment);

    public static Task<CliRun> RunWithInputAsync(IReadOnlyDictionary<string, string> environment, string? input, params string[] arguments) =>
        RunAsync(arguments, environment, input);

    /// <summary>
    /// Runs <c>workers</c> with <paramref name="arguments"/>, <paramref name="input"/> on its standard input, and waits for
    /// it to exit; meanwhile <paramref name="whileRunning"/>, if given, is called with a view of its standard output so far
    /// (to act once it has printed something), and the process is killed if that fails.
    /// </summary>
    public static async Task<CliRun> RunAsync(IReadOnlyList<string> arguments, IReadOnlyDictionary<string, string>? environment = null, string? input = null, TimeSpan? killAfter = null, Func<Func<string>, Task>? whileRunning = null)
    {
        var start = StartInfo("dotnet", [Builds.Cli(), .. arguments], environment);
        start.RedirectStandardInput = true;
        var clock = Stopwatch.StartNew();
        using var process = Process.Start(start) ?? throw new InvalidOperationException("dotnet workers.dll did not start");
        if (input is not null)
        {
            await process.StandardInput.WriteAsync(input);
        }

        process.StandardInput.Close();
        var printed = new System.Text.StringBuilder();
        var output = Task.Run(async () =>
        {
            var chunk = new char[4096];
            int read;
            while ((read = await process.StandardOutput.ReadAsync(chunk)) > 0)
            {
                lock (printed)
                {
                    printed.Append(chunk, 0, read);
                }
            }
        });
        var error = process.StandardError.ReadToEndAsync();
        var limit = killAfter ?? DefaultKillAfter;
        using var kill = new CancellationTokenSource(limit);
        try
        {
            if (whileRunning is not null)
            {
                try
                {
                    await whileRunning(() =>
                    {
                        lock (printed)
                        {
                            return printed.ToString();
                        }
                    });
                }
                catch
                {
                    process.Kill(entireProcessTree: true);
                    throw;
                }
            }

            await process.WaitForExitAsync(kill.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"workers {string.Join(' ', arguments)} was still running after {limit.TotalSeconds:0}s");
        }

        clock.Stop();
        await output;
        return new CliRun(process.ExitCode, printed.ToString(), await error, clock.Elapsed);
    }

    /// <summary>
    /// Starts <c>workers</c> with <paramref name="arguments"/> for a command that runs until interrupted (a watch, a
    /// follow): the test reads what it printed so far, then ends it with Ctrl+C.
    /// </summary>
    public static InterruptibleCli Start(IReadOnlyDictionary<string, string> environment, params string[] arguments)
    {
        // Through env --default-signal=INT: a test run started in the background (scripts/test.sh under nohup, as CI
        // may) has SIGINT ignored, a child inherits that, and the CLI would never see the Ctrl+C the test sends.
        var start = StartInfo("env", ["--default-signal=INT", "dotnet", Builds.Cli(), .. arguments], environment);
        return new InterruptibleCli(Process.Start(start) ?? throw new InvalidOperationException("env dotnet workers.dll did not start"));
    }

    private static ProcessStartInfo StartInfo(string file, IEnumerable<string> arguments, IReadOnlyDictionary<string, string>? environment)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        foreach (var name in Settings)
        {
            start.Environment.Remove(name);
        }

        start.Environment["XDG_CONFIG_HOME"] = NoConfig;

        // Each command runs its pipeline in its own process unless the test asks for the default (a server started in
        // the background by the first command): no test leaves a server behind that it did not ask for.
        start.Environment["WORKERS_AUTO_SERVE"] = "off";
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[name] = value;
        }

        return start;
    }
}

/// <summary>A <c>workers</c> process that runs until the test interrupts it; killed on dispose if still running.</summary>
internal sealed class InterruptibleCli : IDisposable
{
    private readonly Process _process;
    private readonly System.Text.StringBuilder _output = new();
    private readonly System.Text.StringBuilder _error = new();

    public InterruptibleCli(Process process)
    {
        _process = process;
        _process.OutputDataReceived += (_, e) => Append(_output, e.Data);
        _process.ErrorDataReceived += (_, e) => Append(_error, e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public bool HasExited => _process.HasExited;

    /// <summary>What it printed on its standard output so far, a line each.</summary>
    public string Output => Read(_output);

    /// <summary>What it printed on its standard error so far.</summary>
    public string Error => Read(_error);

    /// <summary>Sends Ctrl+C (SIGINT) and waits for it to exit; its exit code.</summary>
    public async Task<int> InterruptAsync(TimeSpan deadline)
    {
        using (var interrupt = Process.Start("kill", ["-INT", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
        {
            await interrupt.WaitForExitAsync();
        }

        using var timeout = new CancellationTokenSource(deadline);
        await _process.WaitForExitAsync(timeout.Token);
        return _process.ExitCode;
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }

        _process.Dispose();
    }

    private static void Append(System.Text.StringBuilder text, string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (text)
        {
            text.Append(line).Append('\n');
        }
    }

    private static string Read(System.Text.StringBuilder text)
    {
        lock (text)
        {
            return text.ToString();
        }
    }
}

/// <summary>How a run of the CLI ended.</summary>
internal sealed record CliRun(int Exit, string Out, string Error, TimeSpan Elapsed)
{
    public string[] ErrorLines => Error.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    public void Deconstruct(out int exit, out string output, out string error) => (exit, output, error) = (Exit, Out, Error);

    public override string ToString() => $"exit {Exit} after {Elapsed.TotalSeconds:0.00}s\nstdout: {Out}\nstderr: {Error}";
}
