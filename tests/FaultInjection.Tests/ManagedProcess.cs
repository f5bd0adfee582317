using System.Diagnostics;

namespace Workers.FaultInjection.Tests;

/// <summary>
/// One real process of the cluster (a functions host or an agent) that can be killed with SIGKILL and started again
/// with the same settings; every incarnation's standard output and error go to one log file, for diagnosis. The program
/// is a built <c>.dll</c> (run by <c>dotnet</c>) or a native executable (the agent compiled ahead of time).
/// </summary>
internal sealed class ManagedProcess(string name, string program, IReadOnlyDictionary<string, string> environment, string logPath) : IAsyncDisposable
{
    private readonly Lock _gate = new();
    private readonly Lock _logGate = new();
    private readonly StreamWriter _log = new(logPath, append: true) { AutoFlush = true };
    private Process? _process;
    private int _incarnation;
    private bool _closed;

    public string Name => name;

    /// <summary>When the current incarnation was started.</summary>
    public DateTimeOffset StartedAt { get; private set; }

    public bool IsRunning
    {
        get
        {
            lock (_gate)
            {
                return _process is { HasExited: false };
            }
        }
    }

    public void Start()
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

        var process = new Process { StartInfo = info, EnableRaisingEvents = true };
        process.OutputDataReceived += (_, e) => Write("out", e.Data);
        process.ErrorDataReceived += (_, e) => Write("err", e.Data);
        lock (_gate)
        {
            _incarnation++;
            Write("---", $"start #{_incarnation} of {name} at {DateTimeOffset.UtcNow:O}");
            process.Start();
            StartedAt = DateTimeOffset.UtcNow;
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            _process = process;
        }
    }

    /// <summary>
    /// SIGKILL of the whole process tree: a crash, as seen from outside (no shutdown code runs). True when a live
    /// process was killed and its exit seen; false when there was none, or it had exited already.
    /// </summary>
    public async Task<bool> KillAsync()
    {
        Process? process;
        lock (_gate)
        {
            process = _process;
            _process = null;
        }

        if (process is null)
        {
            return false;
        }

        Write("---", $"SIGKILL of {name} at {DateTimeOffset.UtcNow:O}");
        var alive = !process.HasExited;
        try
        {
            process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            alive = false;
        }

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await process.WaitForExitAsync(timeout.Token);
        var exited = process.HasExited;
        process.Dispose();
        return alive && exited;
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await KillAsync();
        }
        finally
        {
            lock (_logGate)
            {
                _closed = true;
                _log.Dispose();
            }
        }
    }

    private void Write(string stream, string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_logGate)
        {
            // Output can still arrive from a killed process's pipes after the log is closed.
            if (!_closed)
            {
                _log.WriteLine($"{stream} {line}");
            }
        }
    }
}
