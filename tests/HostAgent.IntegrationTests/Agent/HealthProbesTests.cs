using System.Net;
using System.Net.Sockets;
using Docker.DotNet;
using Microsoft.Extensions.Logging.Abstractions;
using Workers.Contracts.Spec;
using Workers.HostAgent.Agent;
using Workers.HostAgent.Runtime;
using Workers.HostAgent.Tests.Support;

namespace Workers.HostAgent.Tests.Agent;

/// <summary>
/// One workload container for the probe tests, on the real Docker engine: busybox httpd on 8080, and 9090 published
/// with nothing listening behind it; both on 127.0.0.1 with host ports the engine chose.
/// </summary>
public sealed class ProbeTargetFixture : IAsyncLifetime, IDisposable
{
    public const int ClosedPort = 9090;
    private const string RunLabel = "workers.test.run";

    private readonly string _run = Guid.NewGuid().ToString("N")[..12];
    private ManagedContainer? _container;

    public DockerContainerRuntime Runtime { get; } = new(NullLogger<DockerContainerRuntime>.Instance);

    public ManagedContainer Container => _container ?? throw new InvalidOperationException("not started");

    public async Task InitializeAsync()
    {
        using (var docker = new DockerClientBuilder().WithEndpoint(Runtime.Endpoint).Build())
        {
            await RealDockerEngine.RequireAsync(Runtime, docker);
        }

        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        var labels = new Dictionary<string, string> { [RunLabel] = _run };
        var started = await Runtime.EnsureRunningAsync(
            new ContainerLaunch($"workers-test-{_run}-probes", RealDockerEngine.WorkloadImage, null, new Dictionary<string, string>(),
                [new PortPublish(RealDockerEngine.WorkloadPort, 0, "tcp"), new PortPublish(ClosedPort, 0, "tcp")], null, null, labels, "127.0.0.1"),
            timeout.Token);
        Assert.IsType<ContainerStarted>(started);
        _container = Assert.Single(await Runtime.ListAsync(labels, timeout.Token));

        // httpd needs a moment to bind.
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var root = new Uri($"http://127.0.0.1:{_container.Ports.Single(p => p.ContainerPort == RealDockerEngine.WorkloadPort).HostPort}/");
        while (true)
        {
            try
            {
                using var response = await http.GetAsync(root, timeout.Token);
                return;
            }
            catch (HttpRequestException) when (!timeout.IsCancellationRequested)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(50), timeout.Token);
            }
        }
    }

    public async Task DisposeAsync()
    {
        using var cleanup = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        foreach (var container in await Runtime.ListAsync(new Dictionary<string, string> { [RunLabel] = _run }, cleanup.Token))
        {
            await Runtime.RemoveAsync(container.Name, TimeSpan.Zero, cleanup.Token);
        }
    }

    public void Dispose() => Runtime.Dispose();
}

/// <summary>Each kind of probe against a real container.</summary>
public sealed class HealthProbesTests(ProbeTargetFixture target) : IClassFixture<ProbeTargetFixture>, IDisposable
{
    private static readonly AgentOptions Options = new(HostId.From("host-a"), new Dictionary<string, string>(), "127.0.0.1", TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(1)) { Keys = TestKeys.Agent, ControlKeys = TestKeys.Trusted };

    private readonly HealthProbes _probes = new(target.Runtime, Options);
    private readonly CancellationTokenSource _timeout = new(TimeSpan.FromMinutes(1));

    public void Dispose()
    {
        _probes.Dispose();
        _timeout.Dispose();
    }

    [Fact]
    public async Task Http_Healthz_Passes() =>
        Assert.Equal(ProbeResult.Pass, await _probes.RunAsync(Http("/healthz"), target.Container, _timeout.Token));

    [Fact]
    public async Task Http_AgentBoundToAllAddresses_ProbesLoopback()
    {
        using var probes = new HealthProbes(target.Runtime, Options with { BindAddress = "0.0.0.0" });

        Assert.Equal(ProbeResult.Pass, await probes.RunAsync(Http("/healthz"), target.Container, _timeout.Token));
    }

    [Fact]
    public async Task Http_MissingPath_FailsWith404()
    {
        var result = await _probes.RunAsync(Http("/does-not-exist"), target.Container, _timeout.Token);

        Assert.Equal(ProbeResult.Fail("GET /does-not-exist -> 404"), result);
    }

    [Fact]
    public async Task Http_PortNobodyListensOnInTheContainer_Fails()
    {
        var result = await _probes.RunAsync(Http("/healthz") with { Port = ProbeTargetFixture.ClosedPort }, target.Container, _timeout.Token);

        Assert.False(result.Passed);
        Assert.Matches("^GET /healthz: connection (closed|refused|reset)$", result.Reason);
    }

    [Fact]
    public async Task Http_UnpublishedPort_FailsSayingSo()
    {
        var result = await _probes.RunAsync(Http("/healthz") with { Port = 7070 }, target.Container, _timeout.Token);

        Assert.Equal(ProbeResult.Fail("container port 7070/tcp is not published"), result);
    }

    [Fact]
    public async Task Tcp_PublishedPort_Passes() =>
        Assert.Equal(ProbeResult.Pass, await _probes.RunAsync(Tcp(RealDockerEngine.WorkloadPort), target.Container, _timeout.Token));

    [Fact]
    public async Task Tcp_PortNobodyListensOnInTheContainer_Fails()
    {
        // Docker's userland proxy accepts the connection and closes it; without the proxy the kernel refuses it.
        var hostPort = target.Container.Ports.Single(p => p.ContainerPort == ProbeTargetFixture.ClosedPort).HostPort;

        var result = await _probes.RunAsync(Tcp(ProbeTargetFixture.ClosedPort), target.Container, _timeout.Token);

        Assert.False(result.Passed);
        Assert.Matches($"^connect 127\\.0\\.0\\.1:{hostPort}: connection (closed|refused|reset)$", result.Reason);
    }

    [Fact]
    public async Task Tcp_HostPortNobodyListensOn_FailsWithConnectionRefused()
    {
        var closed = FreeLoopbackPort();
        var container = target.Container with { Ports = [new PortPublish(RealDockerEngine.WorkloadPort, closed, "tcp")] };

        var result = await _probes.RunAsync(Tcp(RealDockerEngine.WorkloadPort), container, _timeout.Token);

        Assert.Equal(ProbeResult.Fail($"connect 127.0.0.1:{closed}: connection refused"), result);
    }

    [Fact]
    public async Task Command_ExitZero_Passes() =>
        Assert.Equal(ProbeResult.Pass, await _probes.RunAsync(Command("sh", "-c", "exit 0"), target.Container, _timeout.Token));

    [Fact]
    public async Task Command_ExitThreeAfterStderr_FailsWithItsLastLine()
    {
        var result = await _probes.RunAsync(Command("sh", "-c", "echo starting >&2; echo boom >&2; exit 3"), target.Container, _timeout.Token);

        Assert.Equal(ProbeResult.Fail("exit 3: boom"), result);
    }

    [Fact]
    public async Task Command_EchoBoomExitThree_FailsWithExitThreeBoom() =>
        Assert.Equal(ProbeResult.Fail("exit 3: boom"), await _probes.RunAsync(Command("sh", "-c", "echo boom; exit 3"), target.Container, _timeout.Token));

    [Fact]
    public async Task Command_OutlastsTimeout_FailsTimedOut()
    {
        var check = Command("sh", "-c", "sleep 5") with { TimeoutMs = 300 };

        var result = await _probes.RunAsync(check, target.Container, _timeout.Token);

        Assert.Equal(ProbeResult.Fail("exec sh: timed out after 300ms"), result);
    }

    private static HealthCheckLabel Http(string path) => new(HealthCheckLabel.HttpKind, RealDockerEngine.WorkloadPort, path, null, 5000, 2000, 1);

    private static HealthCheckLabel Tcp(int port) => new(HealthCheckLabel.TcpKind, port, null, null, 5000, 2000, 1);

    private static HealthCheckLabel Command(params string[] command) => new(HealthCheckLabel.CommandKind, null, null, command, 5000, 2000, 1);

    private static int FreeLoopbackPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
