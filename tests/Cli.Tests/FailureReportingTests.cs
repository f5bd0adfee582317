using System.Net.Sockets;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using RabbitMQ.Client.Exceptions;
using Workers.Transport;

namespace Workers.Cli.Tests;

/// <summary>
/// How failures are reported without any broker or Docker: specs before connections, usage errors, JSON error
/// objects, the one-liners for what the checks find, and what logging reaches the terminal.
/// </summary>
public sealed class FailureReportingTests : IDisposable
{
    /// <summary>Nothing listens on port 1 of loopback: had the command connected, it would have failed with exit 3.</summary>
    private const string DownBroker = "rabbitmq://workers:secret@127.0.0.1:1/";

    private readonly string _directory = Directory.CreateTempSubdirectory("workers-cli-failure-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private string File(string name, string content)
    {
        var path = Path.Combine(_directory, name);
        System.IO.File.WriteAllText(path, content);
        return path;
    }

    private static async Task<(int Exit, string Out, string Error)> RunAsync(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var exit = await WorkersCli.RunAsync(args, new CliConsole(() => new MemoryStream(), output, error));
        return (exit, output.ToString(), error.ToString());
    }

    private static JsonElement Error(string output)
    {
        using var document = JsonDocument.Parse(output);
        return document.RootElement.GetProperty("error").Clone();
    }

    [Fact]
    public async Task Validate_MissingFileAsJson_ReportsTheFileProblemInsteadOfAnEmptyArray()
    {
        var missing = Path.Combine(_directory, "missing.yaml");

        var (exit, output, error) = await RunAsync("validate", missing, "--format", "json");

        Assert.Equal(2, exit);
        using var document = JsonDocument.Parse(output);
        var problem = Assert.Single(document.RootElement.EnumerateArray());
        Assert.Equal(missing, problem.GetProperty("file").GetString());
        Assert.Equal("file.unreadable", problem.GetProperty("code").GetString());
        Assert.Equal($"cannot read {missing}: no such file", problem.GetProperty("message").GetString());
        Assert.Contains($"workers: cannot read {missing}: no such file", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Validate_ShortOptionO_SelectsTheFormatAsFormatDoes()
    {
        var file = File("bad.yaml", "name: web\nimage: nginx\nreplicas: 0\n");

        var (shortExit, shortOutput, _) = await RunAsync("validate", "-o", "json", file);
        var (longExit, longOutput, _) = await RunAsync("validate", "--format", "json", file);

        Assert.Equal((1, longOutput), (shortExit, shortOutput));
        Assert.Equal(1, longExit);
    }

    [Fact]
    public async Task Plan_InvalidSpecWithBrokerDown_PrintsTheProblemsAndExitsOneWithoutConnecting()
    {
        var file = File("bad.yaml", "name: Web\nimage: nginx\n");

        var (exit, output, error) = await RunAsync("plan", file, "--broker", DownBroker);

        Assert.Equal(1, exit);
        Assert.Equal($"{file}:1:7: name: must start with a lowercase letter (a-z)", output.Trim());
        Assert.Empty(error);
    }

    [Fact]
    public async Task Plan_InvalidSpecAsJson_PrintsAJsonErrorHoldingEveryProblem()
    {
        var file = File("bad.yaml", "name: Web\nreplicas: 0\n");

        var (exit, output, _) = await RunAsync("plan", file, "-o", "json", "--broker", DownBroker);

        Assert.Equal(1, exit);
        var error = Error(output);
        Assert.Equal("spec.invalid", error.GetProperty("code").GetString());
        Assert.Equal(["field.required", "name.invalid", "replicas.range"], error.GetProperty("problems").EnumerateArray().Select(p => p.GetProperty("code").GetString()).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Deploy_UnreadableFileWithBrokerDown_ExitsTwoNamingTheFile()
    {
        var missing = Path.Combine(_directory, "missing.yaml");

        var (exit, output, error) = await RunAsync("deploy", missing, "--broker", DownBroker);

        Assert.Equal(2, exit);
        Assert.Empty(output);
        Assert.Equal($"workers: cannot read {missing}: no such file", error.Trim());
    }

    [Fact]
    public async Task Status_BrokerAddressThatDoesNotParse_IsAUsageErrorInOneLine()
    {
        var (exit, output, error) = await RunAsync("status", "--broker", "localhost:5672", "-o", "json");

        Assert.Equal(2, exit);
        Assert.Single(error.Trim().Split('\n'));
        Assert.StartsWith("workers: 'localhost:5672' is not a broker address", error, StringComparison.Ordinal);
        Assert.Equal("usage", Error(output).GetProperty("code").GetString());
    }

    [Fact]
    public void LogLevel_UnknownName_IsRefusedNamingTheSetting()
    {
        var failure = Assert.Throws<CliFailure>(() => CliLogging.From(verbose: false, "loud"));

        Assert.Equal(ExitCodes.Usage, failure.ExitCode);
        Assert.StartsWith("WORKERS_LOG_LEVEL='loud' is not a log level", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void LogLevel_Default_KeepsTheLibrariesOffAndWorkersWarnings()
    {
        var quiet = CliLogging.From(verbose: false, null);

        Assert.Equal(LogLevel.None, quiet.Minimum("MassTransit.ReceiveTransport"));
        Assert.Equal(LogLevel.None, quiet.Minimum("RabbitMQ.Client"));
        Assert.Equal(LogLevel.Warning, quiet.Minimum("Workers.HostAgent.Agent.HeartbeatService"));
        Assert.Equal(LogLevel.Information, CliLogging.From(verbose: true, null).Minimum("MassTransit.ReceiveTransport"));
        Assert.Equal(LogLevel.Debug, CliLogging.From(verbose: false, "debug").Minimum("RabbitMQ.Client"));
    }

    [Fact]
    public void LogLevel_QuietLibraryWarningWithAnException_IsOneLineWithoutTheStackTrace()
    {
        using var error = new StringWriter();
        using var provider = CliLogging.From(verbose: false, "warning").Provider(error);

        provider.CreateLogger("MassTransit").Log(LogLevel.Warning, default, "Retrying 00:00:05", new InvalidOperationException("boom"), (state, _) => state);

        Assert.Equal("workers: warning: MassTransit: Retrying 00:00:05 (boom)", error.ToString().Trim());
    }

    [Fact]
    public void BrokerCheck_LoginRefused_NamesTheUserAndTheBroker()
    {
        var broker = Broker.Parse("rabbitmq://workers:secret@rabbit.example:5673/");

        var failure = Preflight.BrokerFailure(broker, new BrokerUnreachableException(new AuthenticationFailureException("ACCESS_REFUSED - Login was refused")));

        Assert.Equal((ExitCodes.Unavailable, "broker.login-refused", "RabbitMQ at rabbit.example:5673 refused the login for user 'workers'"), (failure.ExitCode, failure.Code, failure.Message));
    }

    [Theory]
    [InlineData(SocketError.ConnectionRefused, "connection refused")]
    [InlineData(SocketError.HostNotFound, "no such host")]
    [InlineData(SocketError.NetworkUnreachable, "network unreachable")]
    public void BrokerCheck_SocketError_SaysItCannotReachTheBrokerAndWhy(SocketError socketError, string why)
    {
        var broker = Broker.Parse("rabbitmq://workers:secret@rabbit.example:5673/");

        var failure = Preflight.BrokerFailure(broker, new BrokerUnreachableException(new ConnectFailureException("Connection failed", new SocketException((int)socketError))));

        Assert.Equal($"cannot reach RabbitMQ at rabbit.example:5673: {why}", failure.Message);
        Assert.DoesNotContain("secret", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void BrokerCheck_NoAnswer_SaysHowLongItWaited()
    {
        var broker = Broker.Parse("rabbitmq://workers:secret@10.255.255.1/");

        var failure = Preflight.BrokerFailure(broker, new BrokerUnreachableException(new TimeoutException("The operation has timed out.")));

        Assert.Equal("cannot reach RabbitMQ at 10.255.255.1:5672: no answer within 15s", failure.Message);
    }

    [Theory]
    [InlineData(300, 15)]
    [InlineData(12, 12)]
    [InlineData(2, 10)]
    public void CheckLimit_FollowsTimeout_WithinFloorAndCeiling(int timeoutSeconds, int expectedSeconds)
    {
        Assert.Equal(TimeSpan.FromSeconds(expectedSeconds), Preflight.LimitFor(TimeSpan.FromSeconds(timeoutSeconds)));
    }

    [Theory]
    [InlineData(SocketError.AddressNotAvailable, "Docker is not running at unix:///var/run/docker.sock")]
    [InlineData(SocketError.ConnectionRefused, "Docker is not running at unix:///var/run/docker.sock")]
    [InlineData(SocketError.AccessDenied, "cannot use Docker at unix:///var/run/docker.sock: permission denied (is this user in the docker group?)")]
    public void DockerCheck_SocketError_NamesTheEndpoint(SocketError socketError, string message)
    {
        var failure = Preflight.DockerFailure(new Uri("unix:///var/run/docker.sock"), new HttpRequestException("request failed", new SocketException((int)socketError)));

        Assert.Equal((ExitCodes.Unavailable, "docker.unreachable", message), (failure.ExitCode, failure.Code, failure.Message));
    }
}
