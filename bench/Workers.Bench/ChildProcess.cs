using System.Diagnostics;

namespace Workers.Bench;

/// <summary>
/// A Workers process (the functions host, an agent) run as an operator runs it, <c>dotnet &lt;assembly&gt;.dll</c>, its
/// output kept in a log file; killed on disposal.
/// </summary>
internal sealed class ChildProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StreamWriter _log;
    private readonly Lock _gate = new();
    private bool _closed;

    private ChildProcess(Process process, StreamWriter log) => (_process, _log) = (process, log);

    /// <summary>Starts <c>src/&lt;project&gt;/bin/&lt;configuration&gt;/net10.0/&lt;assembly&gt;.dll</c> of this checkout.</summary>
    public static ChildProcess StartBuilt(string project, string assembly, IReadOnlyDictionary<string, string> environment, string logPath) =>
        Start(BuiltDll(project, assembly), environment, logPath);

    /// <summary>Starts <c>dotnet <paramref name="program"/></c> for a <c>.dll</c>, or the native executable itself (the agent compiled ahead of time).</summary>
    public static ChildProcess Start(string program, IReadOnlyDictionary<string, string> environment, string logPath)
    {
        var info = program.EndsWith(".dll", StringComparison.Ordinal) ? new ProcessStartInfo("dotnet", [program]) : new ProcessStartInfo(program);
        info.RedirectStandardOutput = true;
        info.RedirectStandardError = true;
        info.UseShellExecute = false;
        info.WorkingDirectory = Path.GetDirectoryName(program)!;
        foreach (var (key, value) in environment)
        {
            info.Environment[key] = value;
        }

        var log = new StreamWriter(logPath, append: false) { AutoFlush = true };
        var process = new Process { StartInfo = info };
        var child = new ChildProcess(process, log);
        process.OutputDataReceived += (_, e) => child.Write(e.Data);
        process.ErrorDataReceived += (_, e) => child.Write(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return child;
    }

    public int Id => _process.Id;

    public bool HasExited => _process.HasExited;

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
            }

            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            await _process.WaitForExitAsync(timeout.Token);
        }
        finally
        {
            _process.Dispose();
            lock (_gate)
            {
                _closed = true;
                _log.Dispose();
            }
        }
    }

    /// <summary>
    /// The published <c>workers</c> (ReadyToRun, as installed) named by <c>WORKERS_BENCH_CLI</c>, which scripts/bench.sh
    /// publishes; null when none is named or the file is missing.
    /// </summary>
    public static string? PublishedCli() =>
        Environment.GetEnvironmentVariable("WORKERS_BENCH_CLI") is { Length: > 0 } named && File.Exists(named) ? named : null;

    /// <summary>
    /// The agent to run: <c>WORKERS_BENCH_AGENT</c> (a dll, or the native executable scripts/bench.sh publishes, as it
    /// ships), else the build's dll.
    /// </summary>
    public static string Agent() =>
        Environment.GetEnvironmentVariable("WORKERS_BENCH_AGENT") is { Length: > 0 } given ? Path.GetFullPath(given) : BuiltDll("HostAgent", "Workers.HostAgent");

    public static string BuiltDll(string project, string assembly)
    {
        // The harness runs from bench/Workers.Bench/bin/<configuration>/net10.0: use the same configuration.
        var configuration = Path.GetFileName(Path.GetDirectoryName(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar)))!;
        var dll = Path.Combine(Root.Path, "src", project, "bin", configuration, "net10.0", $"{assembly}.dll");
        return File.Exists(dll) ? dll : throw new InvalidOperationException($"{dll} is missing: build bench/Workers.Bench (it builds the Workers processes too)");
    }

    private void Write(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_gate)
        {
            // Output can still arrive from a killed process's pipes after the log is closed.
            if (!_closed)
            {
                _log.WriteLine(line);
            }
        }
    }
}
