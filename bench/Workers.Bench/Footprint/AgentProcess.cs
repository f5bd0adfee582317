using System.Diagnostics;

namespace Workers.Bench.Footprint;

/// <summary>
/// The real agent as its own process (<c>dotnet Workers.HostAgent.dll</c>, as an operator runs it), its output kept in
/// a log file; killed on disposal.
/// </summary>
internal sealed class AgentProcess : IDisposable
{
    private readonly Process _process;
    private readonly StreamWriter _log;
    private readonly Lock _gate = new();
    private bool _closed;

    private AgentProcess(Process process, StreamWriter log)
    {
        _process = process;
        _log = log;
    }

    public int Id => _process.Id;

    public bool IsRunning => !_process.HasExited;

    public static AgentProcess Start(string dll, IReadOnlyDictionary<string, string> environment, string logPath)
    {
        var info = new ProcessStartInfo("dotnet", [dll])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Path.GetDirectoryName(dll)!,
        };
        foreach (var (key, value) in environment)
        {
            info.Environment[key] = value;
        }

        var log = new StreamWriter(logPath, append: false) { AutoFlush = true };
        var process = new Process { StartInfo = info };
        var agent = new AgentProcess(process, log);
        process.OutputDataReceived += (_, e) => agent.Write(e.Data);
        process.ErrorDataReceived += (_, e) => agent.Write(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return agent;
    }

    public void Dispose()
    {
        try
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit(TimeSpan.FromSeconds(30));
        }
        catch (InvalidOperationException)
        {
            // Already exited.
        }

        _process.Dispose();
        lock (_gate)
        {
            _closed = true;
            _log.Dispose();
        }
    }

    private void Write(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_gate)
        {
            // Output can still arrive from the killed process's pipes after the log is closed.
            if (!_closed)
            {
                _log.WriteLine(line);
            }
        }
    }
}
