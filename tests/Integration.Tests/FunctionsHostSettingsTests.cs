using System.Diagnostics;

namespace Workers.Integration.Tests;

/// <summary>
/// The functions host as a whole process picks its transport from WORKERS_BROKER and refuses wrong settings before it
/// starts anything: one line, every problem named, no secret. Needs no broker and no Docker.
/// </summary>
public sealed class FunctionsHostSettingsTests : IDisposable
{
    private const string Secret = "c2VjcmV0LXRoYXQtbXVzdC1ub3Qtc2hvdw==";

    private readonly string _directory = Directory.CreateTempSubdirectory("workers-functions-settings-").FullName;

    [Fact]
    public async Task FunctionsHost_ServiceBusBrokerWithBadSettings_ListsEveryServiceBusProblemWithoutTheKey()
    {
        var (exit, error) = await RunAsync(
            ("WORKERS_BROKER", "servicebus://workers-test.servicebus.windows.net/"),
            ("WORKERS_SERVICEBUS_CONNECTION", $"SharedAccessKeyName=send;SharedAccessKey={Secret}"),
            ("WORKERS_SERVICEBUS_MAX_DELIVERIES", "none"));

        Assert.Equal(2, exit);
        Assert.Single(error.Trim().Split('\n'));
        Assert.StartsWith("workers functions: 2 settings refused: WORKERS_SERVICEBUS_CONNECTION ", error, StringComparison.Ordinal);
        Assert.Contains("; WORKERS_SERVICEBUS_MAX_DELIVERIES ", error, StringComparison.Ordinal);
        Assert.DoesNotContain(Secret, error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task FunctionsHost_RabbitMqBrokerThatDoesNotParse_NamesItWithoutItsPassword()
    {
        var (exit, error) = await RunAsync(("WORKERS_BROKER", $"rabbitmq://functions:{Secret}@rabbit:5672/workers?tls=yes"));

        Assert.Equal(2, exit);
        Assert.Equal("workers functions: WORKERS_BROKER: 'rabbitmq://functions:***@rabbit:5672/workers?tls=yes': unknown broker option 'tls' (the only one is ca=/path/to/ca.pem, with amqps://)", error.Trim());
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private async Task<(int Exit, string Error)> RunAsync(params (string Name, string Value)[] settings)
    {
        var start = new ProcessStartInfo("dotnet") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(Builds.Dll("src/Functions.Host", "Workers.Functions.Host.dll"));
        start.Environment["WORKERS_STORE"] = Path.Combine(_directory, "workers.db");
        start.Environment["WORKERS_SIGNING_KEY"] = Path.Combine(_directory, "control.key");
        start.Environment["WORKERS_SEALING_KEY"] = Path.Combine(_directory, "control-sealing.key");
        start.Environment.Remove("WORKERS_HTTP_URLS");
        foreach (var (name, value) in settings)
        {
            start.Environment[name] = value;
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException("dotnet did not start");
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var kill = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        try
        {
            await process.WaitForExitAsync(kill.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"the functions host did not exit within 60 s; it wrote: {await error}");
        }

        await output;
        return (process.ExitCode, await error);
    }
}
