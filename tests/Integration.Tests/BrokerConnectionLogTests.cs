using System.Collections.Concurrent;
using System.Diagnostics;
using Testcontainers.RabbitMq;

namespace Workers.Integration.Tests;

/// <summary>
/// A long-running process says in one line that it waits for the broker, that it has lost it and that it has it back,
/// and MassTransit's own account of every reconnect attempt (a warning with a stack trace each) stays out of its log
/// unless asked for. Proven on the functions host as a whole process, with its default logging, against a RabbitMQ of
/// its own whose AMQP listener is stopped and started (<c>rabbitmqctl stop_app</c>, <c>start_app</c>).
/// </summary>
public sealed class BrokerConnectionLogTests : IAsyncLifetime, IDisposable
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(90);

    private readonly string _directory = Directory.CreateTempSubdirectory("workers-it-broker-log-").FullName;
    private RabbitMqContainer? _rabbit;

    public async Task InitializeAsync() => _rabbit = await TestBroker.StartAsync(new RabbitMqBuilder(TestImages.RabbitMq).Build());

    public async Task DisposeAsync()
    {
        if (_rabbit is not null)
        {
            await _rabbit.DisposeAsync();
        }
    }

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_directory, recursive: true);
    }

    [Fact]
    public async Task FunctionsHost_BrokerDownAtStartThenLostAndBack_SaysEachOnceWithoutTheLibrarysWarningsOrStackTraces()
    {
        var rabbit = _rabbit!;
        await CtlAsync(rabbit, "stop_app");
        var lines = new ConcurrentQueue<string>();
        var amqp = new Uri(rabbit.GetConnectionString());
        var where = $"{amqp.Host}:{amqp.Port}";
        using var host = StartFunctionsHost(amqp, lines);
        try
        {
            await UntilAsync(lines, $"Waiting for the broker at {where}: Connection refused", host);
            await CtlAsync(rabbit, "start_app");
            await UntilAsync(lines, $"Connected to the broker at {where} after ", host);

            await CtlAsync(rabbit, "stop_app");
            await UntilAsync(lines, $"Lost the connection to the broker at {where}: ", host);
            await CtlAsync(rabbit, "start_app");
            await UntilAsync(lines, $"The connection to the broker at {where} is back after ", host);

            // Stopped as a service manager stops it: the bus it stops on the way out is no lost broker.
            using (var term = Process.Start("kill", ["-TERM", host.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
            {
                await term.WaitForExitAsync();
            }

            using var stopped = new CancellationTokenSource(Deadline);
            await host.WaitForExitAsync(stopped.Token);
        }
        finally
        {
            if (!host.HasExited)
            {
                host.Kill(entireProcessTree: true);
                await host.WaitForExitAsync();
            }
        }

        var log = lines.ToArray();
        var all = string.Join('\n', log);
        Assert.Single(log, l => l.Contains("Waiting for the broker at", StringComparison.Ordinal));
        Assert.Single(log, l => l.Contains("Connected to the broker at", StringComparison.Ordinal));
        Assert.Single(log, l => l.Contains("Lost the connection to the broker at", StringComparison.Ordinal));
        Assert.Single(log, l => l.Contains("is back after", StringComparison.Ordinal));
        Assert.DoesNotContain(log, l => l.StartsWith("warn: MassTransit", StringComparison.Ordinal));
        Assert.False(log.Any(l => l.TrimStart().StartsWith("at ", StringComparison.Ordinal)), $"a stack trace in the log:\n{all}");
    }

    private Process StartFunctionsHost(Uri amqp, ConcurrentQueue<string> lines)
    {
        var start = new ProcessStartInfo("dotnet") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(Builds.Dll("src/Functions.Host", "Workers.Functions.Host.dll"));
        start.Environment["WORKERS_BROKER"] = $"rabbitmq://{amqp.UserInfo}@{amqp.Host}:{amqp.Port}/";
        start.Environment["WORKERS_STORE"] = Path.Combine(_directory, "workers.db");
        start.Environment["WORKERS_SIGNING_KEY"] = Path.Combine(_directory, "control.key");
        start.Environment["WORKERS_SEALING_KEY"] = Path.Combine(_directory, "control-sealing.key");
        start.Environment.Remove("WORKERS_HTTP_URLS");
        foreach (var name in start.Environment.Keys.Where(k => k.StartsWith("Logging__", StringComparison.Ordinal)).ToList())
        {
            start.Environment.Remove(name);
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException("dotnet did not start");
        process.OutputDataReceived += (_, e) => Keep(e.Data);
        process.ErrorDataReceived += (_, e) => Keep(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;

        void Keep(string? line)
        {
            if (line is not null)
            {
                lines.Enqueue(line);
            }
        }
    }

    private static Task UntilAsync(ConcurrentQueue<string> lines, string text, Process host) =>
        Poll.UntilAsync(
            () => Task.FromResult(host.HasExited ? throw new InvalidOperationException($"the functions host exited ({host.ExitCode}):\n{string.Join('\n', lines)}") : lines.ToArray()),
            seen => seen.Any(l => l.Contains(text, StringComparison.Ordinal)),
            Deadline,
            $"a line '{text}…' from the functions host");

    private static async Task CtlAsync(RabbitMqContainer rabbit, string command)
    {
        var result = await rabbit.ExecAsync(["rabbitmqctl", command]);
        Assert.True(result.ExitCode == 0, $"rabbitmqctl {command} failed: {result.Stderr}");
    }
}
