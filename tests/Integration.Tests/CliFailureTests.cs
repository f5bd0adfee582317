using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Testcontainers.RabbitMq;

namespace Workers.Integration.Tests;

/// <summary>A RabbitMQ whose only user is <c>workers</c> with a password the tests know.</summary>
public sealed class CliFailureBrokerFixture : IAsyncLifetime
{
    public const string User = "workers";
    public const string Password = "the-right-password";

    private RabbitMqContainer? _rabbit;

    /// <summary>The broker's address with the right user and the given password (and virtual host).</summary>
    public string Address(string password, string virtualHost = "") => $"rabbitmq://{User}:{Uri.EscapeDataString(password)}@{Endpoint}/{virtualHost}";

    /// <summary><c>host:port</c> of the broker's AMQP listener.</summary>
    public string Endpoint => $"{Rabbit.Hostname}:{Rabbit.GetMappedPublicPort(5672)}";

    private RabbitMqContainer Rabbit => _rabbit ?? throw new InvalidOperationException("not started");

    public async Task InitializeAsync()
    {
        _rabbit = new RabbitMqBuilder(TestImages.RabbitMq).WithUsername(User).WithPassword(Password).Build();
        await TestBroker.StartAsync(_rabbit);
    }

    public async Task DisposeAsync()
    {
        if (_rabbit is not null)
        {
            await _rabbit.DisposeAsync();
        }
    }
}

/// <summary>
/// What the CLI says when what it needs is not there: one line naming what and where, exit 3, soon, no stack trace;
/// and with <c>--format json</c> a JSON error object instead of an empty answer.
/// </summary>
public sealed class CliFailureTests(CliFailureBrokerFixture broker) : IClassFixture<CliFailureBrokerFixture>, IDisposable
{
    /// <summary>Generous: the target is about 5 s (see bench/RESULTS.md); this catches waiting for the command's timeout.</summary>
    private static readonly TimeSpan Soon = TimeSpan.FromSeconds(15);

    private const string ValidSpec = "name: cli-failure\nimage: nginx\nports: [{container: 80}]\n";

    private readonly string _directory = Directory.CreateTempSubdirectory("workers-cli-failure-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Theory]
    [InlineData("hosts")]
    [InlineData("status")]
    [InlineData("deploy", "{spec}")]
    [InlineData("plan", "{spec}")]
    public async Task Command_BrokerDown_SaysItCannotReachRabbitMqAtTheAddressInOneLineWithExitThree(params string[] command)
    {
        var port = UnusedPort();

        var run = await CliProcess.RunAsync([.. Arguments(command), "--broker", $"rabbitmq://workers:secret@127.0.0.1:{port}/"]);

        AssertOneLineFailure(run, $"workers: cannot reach RabbitMQ at 127.0.0.1:{port}: connection refused");
    }

    [Fact]
    public async Task Status_WrongPassword_SaysRabbitMqRefusedTheLoginForTheUserInOneLineWithExitThree()
    {
        var run = await CliProcess.RunAsync(["status", "--broker", broker.Address("not-the-password")]);

        AssertOneLineFailure(run, $"workers: RabbitMQ at {broker.Endpoint} refused the login for user '{CliFailureBrokerFixture.User}'");
        Assert.DoesNotContain("not-the-password", run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Status_VirtualHostThatDoesNotExist_SaysRabbitMqRefusedTheUserAccessInOneLineWithExitThree()
    {
        var run = await CliProcess.RunAsync(["status", "--broker", broker.Address(CliFailureBrokerFixture.Password, "nosuch")]);

        AssertOneLineFailure(run, $"workers: RabbitMQ at {broker.Endpoint} refused user '{CliFailureBrokerFixture.User}' access to virtual host 'nosuch'");
    }

    [Fact]
    public async Task Status_WrongPasswordWithVerbose_AddsTheStackTrace()
    {
        var run = await CliProcess.RunAsync(["status", "--verbose", "--broker", broker.Address("not-the-password")]);

        Assert.True(run.Exit == 3, run.ToString());
        Assert.Contains("refused the login", run.ErrorLines[0], StringComparison.Ordinal);
        Assert.Contains("   at ", run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Status_RightPasswordButNoFunctions_GetsPastTheCheckAndGivesUpAtTheTimeoutInOneLine()
    {
        // The check lets a good login through: with no functions on this broker the command then times out (exit 3) saying so.
        var run = await CliProcess.RunAsync(["status", "--timeout", "3", "--broker", broker.Address(CliFailureBrokerFixture.Password)]);

        AssertOneLineFailure(run, "workers: gave up after 3s; 'workers status' shows where it stands");
    }

    // status, hosts and history read the store on the embedded default and need no Docker (Cli.Tests' FastReadTests).
    [Theory]
    [InlineData("deploy", "{spec}")]
    [InlineData("plan", "{spec}")]
    public async Task Command_NoDockerOnTheEmbeddedDefault_SaysDockerIsNotRunningAtTheSocketInOneLineWithExitThree(params string[] command)
    {
        var socket = Path.Combine(_directory, "no-docker-here", "docker.sock");

        var run = await CliProcess.RunAsync(Arguments(command), EmbeddedEnvironment(new() { ["DOCKER_HOST"] = $"unix://{socket}" }));

        AssertOneLineFailure(run, $"workers: Docker is not running at unix://{socket}");
    }

    [Theory]
    [InlineData("plan")]
    [InlineData("deploy")]
    public async Task Command_InvalidSpecWithBrokerDown_PrintsTheSpecsProblemsAndExitsOne(string command)
    {
        var spec = Spec("name: Web\nreplicas: 0\n");

        var run = await CliProcess.RunAsync([command, spec, "--broker", $"rabbitmq://workers:secret@127.0.0.1:{UnusedPort()}/"]);

        Assert.True(run.Exit == 1, run.ToString());
        Assert.Contains($"{spec}:1:7: name: must start with a lowercase letter (a-z)", run.Out, StringComparison.Ordinal);
        Assert.Contains("replicas: must be between 1 and 10000, got 0", run.Out, StringComparison.Ordinal);
        Assert.DoesNotContain("RabbitMQ", run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Status_BrokerDownAsJson_PrintsAJsonErrorObjectNamingTheBroker()
    {
        var port = UnusedPort();

        var run = await CliProcess.RunAsync(["status", "-o", "json", "--broker", $"rabbitmq://workers:secret@127.0.0.1:{port}/"]);

        Assert.True(run.Exit == 3, run.ToString());
        var error = JsonError(run);
        Assert.Equal("broker.unreachable", error.GetProperty("code").GetString());
        Assert.Equal($"cannot reach RabbitMQ at 127.0.0.1:{port}: connection refused", error.GetProperty("message").GetString());
    }

    [Theory]
    [InlineData("status")]
    [InlineData("history")]
    public async Task Command_UnknownNameAsJson_ExitsOneWithAJsonNotFoundError(string command)
    {
        var run = await CliProcess.RunAsync([command, "nosuch", "-o", "json"], EmbeddedEnvironment([]));

        Assert.True(run.Exit == 1, run.ToString());
        var error = JsonError(run);
        Assert.Equal("deployment.not-found", error.GetProperty("code").GetString());
        Assert.Equal("no deployment named nosuch", error.GetProperty("message").GetString());
        Assert.Equal(["workers: no deployment named nosuch"], run.ErrorLines);
    }

    private static void AssertOneLineFailure(CliRun run, string line)
    {
        Assert.True(run.Exit == 3, run.ToString());
        Assert.Equal([line], run.ErrorLines);
        Assert.True(Encoding.UTF8.GetByteCount(run.Error) < 1024, run.ToString());
        Assert.True(run.Elapsed < Soon, run.ToString());
        Assert.Empty(run.Out);
    }

    private static JsonElement JsonError(CliRun run)
    {
        using var document = JsonDocument.Parse(run.Out);
        Assert.Equal(JsonValueKind.Object, document.RootElement.ValueKind);
        return document.RootElement.GetProperty("error").Clone();
    }

    /// <summary>The embedded default with a store and host id of this test's own, so that nothing else's state is seen.</summary>
    private Dictionary<string, string> EmbeddedEnvironment(Dictionary<string, string> more)
    {
        more["WORKERS_STORE"] = Path.Combine(_directory, "workers.db");
        more["WORKERS_HOST_ID"] = $"cli-failure-{Guid.NewGuid():N}"[..24];
        return more;
    }

    private string[] Arguments(string[] command) => [.. command.Select(a => a == "{spec}" ? Spec(ValidSpec) : a)];

    private string Spec(string text)
    {
        var path = Path.Combine(_directory, $"spec-{Guid.NewGuid():N}.yaml");
        File.WriteAllText(path, text);
        return path;
    }

    /// <summary>A loopback port nothing listens on: taken from the system, then let go.</summary>
    private static int UnusedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }
}
