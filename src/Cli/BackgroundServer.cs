using System.CommandLine;
using System.Diagnostics;
using System.Reflection;
using Workers.Cli.Contexts;

namespace Workers.Cli;

/// <summary>
/// The embedded default kept between commands. A command that would start the whole pipeline in its own process
/// (the functions, the bus, one agent) starts <c>workers serve</c> in the background instead, when none runs, and is
/// its client, as <c>adb</c> starts its server: every later command skips the pipeline's start, and the agent keeps
/// watching the replicas between commands. <c>WORKERS_AUTO_SERVE=off</c> (or <c>--broker memory</c>) runs each command's
/// pipeline in its own process, as before.
/// </summary>
internal static class BackgroundServer
{
    public const string Variable = "WORKERS_AUTO_SERVE";

    /// <summary>The line a background server prints once its context is saved and it answers.</summary>
    public const string ReadyLine = "ready";

    /// <summary>The line a background server prints when another server holds the lock.</summary>
    public const string RunningLine = "running";

    /// <summary>The line a background server prints when it stops before it is ready with a failure a command would report.</summary>
    public static string FailedLine(CliFailure failure) => $"failed\t{failure.ExitCode}\t{failure.Code}\t{failure.Message.ReplaceLineEndings(" ")}";

    /// <summary>How long a background server runs on with no deployment in its store before it stops.</summary>
    public static readonly TimeSpan IdleStop = TimeSpan.FromMinutes(10);

    /// <summary>How long a command waits for a server to start before it runs the pipeline in its own process.</summary>
    private static readonly TimeSpan StartLimit = TimeSpan.FromSeconds(60);

    /// <summary>Whether commands start a server when none runs: <c>on</c> (the default) or <c>off</c>; anything else is a usage error.</summary>
    public static bool Enabled(Func<string, string?> environment) => environment(Variable) switch
    {
        null or "" or "on" => true,
        "off" => false,
        var other => throw new CliFailure(ExitCodes.Usage, "usage", $"{Variable}: '{other}' is neither 'on' nor 'off'"),
    };

    /// <summary>
    /// Where a pipeline command goes, given <paramref name="target"/> (already resolved, with a dead local server's
    /// context turned into the embedded default): the local server when one runs for this build and these settings,
    /// one started now when none does, or <paramref name="target"/> itself (a server, a broker, <c>--broker memory</c>,
    /// <c>WORKERS_AUTO_SERVE=off</c>, or a server that could not start: the command then runs the pipeline itself).
    /// </summary>
    public static async Task<Target> PrepareAsync(Target target, ParseResult parsed, CliConsole console, CancellationToken cancellationToken)
    {
        var embedded = target is Target.Bus { Broker: null };
        var local = target is Target.Server { FallBackToEmbedded: true };
        if ((!embedded && !local) || !Enabled(Environment.GetEnvironmentVariable) || CommandLine() is not { } commandLine)
        {
            return target;
        }

        var files = LocalServerFiles.Default;
        if (local)
        {
            // A server a command started for another build or other settings is replaced; one the user started is theirs.
            if (LocalServerRecord.Read(files.Record) is not { Background: true } running)
            {
                return target;
            }

            var wanted = LocalServerRecord.Current(background: true);
            if ((running.Build == wanted.Build && running.Settings == wanted.Settings) || !files.Held())
            {
                return target;
            }

            var why = running.Build == wanted.Build ? "was started with other settings" : $"is another build ({running.Build})";
            await console.Error.WriteLineAsync($"workers: the background server (pid {running.ProcessId}) {why}: stopping it to start this one");
            if (!await StopAsync(running, files, cancellationToken))
            {
                throw new CliFailure(ExitCodes.Unavailable, "serve.running", $"the background server (pid {running.ProcessId}) did not stop within {StopWait.TotalSeconds:0}s; 'workers serve stop' asks it again");
            }
        }

        return await StartAsync(parsed, console, files, commandLine, cancellationToken) ?? new Target.Bus(null);
    }

    /// <summary>How long <see cref="StopAsync"/> waits for the server to let go of its lock.</summary>
    public static readonly TimeSpan StopWait = Commands.ServeCommand.StopTimeout + TimeSpan.FromSeconds(5);

    /// <summary>Asks the server of <paramref name="record"/> to stop and waits until its lock is free; false if it is still held.</summary>
    public static async Task<bool> StopAsync(LocalServerRecord record, LocalServerFiles files, CancellationToken cancellationToken)
    {
        record.SignalStop();
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(StopWait);
        try
        {
            while (files.Held())
            {
                await Task.Delay(TimeSpan.FromMilliseconds(50), deadline.Token);
            }

            return true;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return false;
        }
    }

    private static async Task<Target?> StartAsync(ParseResult parsed, CliConsole console, LocalServerFiles files, IReadOnlyList<string> commandLine, CancellationToken cancellationToken)
    {
        // In a session of its own (setsid), so that a Ctrl+C of this command or the terminal closing does not stop it.
        var setsid = OperatingSystem.IsLinux() && File.Exists("/usr/bin/setsid") ? "/usr/bin/setsid" : null;
        var start = new ProcessStartInfo(setsid ?? commandLine[0])
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in (setsid is null ? commandLine.Skip(1) : commandLine).Concat(["serve", "--background"]))
        {
            start.ArgumentList.Add(argument);
        }

        await console.Error.WriteLineAsync($"workers: starting a server for this machine in the background (workers serve; its log: {files.Log}; 'workers serve stop' stops it)");
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(StartLimit);
        Process started;
        try
        {
            started = Process.Start(start) ?? throw new InvalidOperationException("workers serve did not start");
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            // The executable could not be run (moved, or not executable): the command still does its work itself.
            await console.Error.WriteLineAsync($"workers: the background server could not be started ({e.Message}); running the pipeline in this process");
            return null;
        }

        using var process = started;
        process.StandardInput.Close();
        var errors = new System.Text.StringBuilder();
        _ = Task.Run(async () =>
        {
            // Its standard error says why it stopped before it was ready; once ready it writes only to its log, and
            // this command may end (closing the pipe) while this still reads.
            try
            {
                while (await process.StandardError.ReadLineAsync(CancellationToken.None) is { } line)
                {
                    lock (errors)
                    {
                        errors.AppendLine(line);
                    }
                }
            }
            catch (Exception e) when (e is IOException or ObjectDisposedException or InvalidOperationException)
            {
                // The command is done with it.
            }
        }, CancellationToken.None);
        try
        {
            switch (await process.StandardOutput.ReadLineAsync(deadline.Token))
            {
                case ReadyLine:
                    return Target.Resolve(parsed) is Target.Server { FallBackToEmbedded: true } server ? server : null;
                case RunningLine:
                    // Another command is starting one at the same time, or the user's own is not ready yet.
                    return await RunningAsync(parsed, deadline.Token);
                case { } line when line.Split('\t', 4) is ["failed", var exit, var code, var message] && int.TryParse(exit, System.Globalization.CultureInfo.InvariantCulture, out var exitCode):
                    // What this command would have met starting the pipeline itself (Docker unreachable, a setting or
                    // key that does not open): said once, as this command's own failure, without trying again.
                    throw new CliFailure(exitCode, code, message);
            }

            await process.WaitForExitAsync(deadline.Token);
            string said;
            lock (errors)
            {
                // The first line: an unhandled exception's stack trace follows it, and the log has the rest.
                said = errors.ToString().Trim().Split('\n', 2)[0].Trim();
            }

            await console.Error.WriteLineAsync($"workers: the background server stopped before it was ready (exit {process.ExitCode}{(said.Length > 0 ? $": {said}" : string.Empty)}); running the pipeline in this process");
            return null;
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            cancellationToken.ThrowIfCancellationRequested();
            await console.Error.WriteLineAsync($"workers: the background server was not ready within {StartLimit.TotalSeconds:0}s (its log: {files.Log}); running the pipeline in this process");
            return null;
        }
    }

    /// <summary>Waits for the server another process runs to answer at the context it saves.</summary>
    private static async Task<Target?> RunningAsync(ParseResult parsed, CancellationToken cancellationToken)
    {
        while (true)
        {
            if (Target.Resolve(parsed) is Target.Server { FallBackToEmbedded: true } server && await Preflight.ServerListensAsync(server.Address, TimeSpan.FromSeconds(1), cancellationToken))
            {
                return server;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(50), cancellationToken);
        }
    }

    /// <summary>How to run this CLI again (<c>dotnet workers.dll</c> or the <c>workers</c> executable), or null in a process that is not the CLI.</summary>
    private static IReadOnlyList<string>? CommandLine()
    {
        if (Assembly.GetEntryAssembly() is not { } entry || entry.GetName().Name != "workers" || Environment.ProcessPath is not { } path)
        {
            return null;
        }

        return Path.GetFileNameWithoutExtension(path) == "dotnet" ? [path, entry.Location] : [path];
    }
}
