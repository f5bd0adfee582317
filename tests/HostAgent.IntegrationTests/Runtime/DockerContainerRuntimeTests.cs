using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Docker.DotNet;
using Docker.DotNet.Models;
using Microsoft.Extensions.Logging.Abstractions;
using Workers.HostAgent.Runtime;
using Workers.HostAgent.Tests.Support;
using Version = System.Version;

namespace Workers.HostAgent.Tests.Runtime;

/// <summary>
/// Against the real Docker engine (DOCKER_HOST or /var/run/docker.sock) and the workload image
/// WORKERS_TEST_WORKLOAD_IMAGE (busybox httpd on 8080). Without an engine these tests fail, pointing at scripts/test.sh.
/// </summary>
public sealed class DockerContainerRuntimeTests : IAsyncLifetime, IDisposable
{
    private const string RunLabel = "workers.test.run";
    private const string NameLabel = "workers.test.name";
    private const int WorkloadPort = RealDockerEngine.WorkloadPort;

    private static readonly string WorkloadImage = RealDockerEngine.WorkloadImage;

    private readonly string _run = Guid.NewGuid().ToString("N")[..12];
    private readonly DockerContainerRuntime _runtime = new(NullLogger<DockerContainerRuntime>.Instance);
    private readonly DockerClient _docker;
    private readonly CancellationTokenSource _timeout = new(TimeSpan.FromMinutes(2));

    public DockerContainerRuntimeTests()
    {
        _docker = new DockerClientBuilder().WithEndpoint(_runtime.Endpoint).Build();
    }

    private CancellationToken Token => _timeout.Token;

    public Task InitializeAsync() => RealDockerEngine.RequireAsync(_runtime, _docker);

    public async Task DisposeAsync()
    {
        using var cleanup = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        var leftovers = await _runtime.ListAsync(new Dictionary<string, string> { [RunLabel] = _run }, cleanup.Token);
        foreach (var container in leftovers)
        {
            await _runtime.RemoveAsync(container.Name, TimeSpan.Zero, cleanup.Token);
        }
    }

    public void Dispose()
    {
        _runtime.Dispose();
        _docker.Dispose();
        _timeout.Dispose();
    }

    [Fact]
    public async Task Connect_NegotiatesTheServerApiVersion()
    {
        var server = await _docker.System.GetVersionAsync(Token);

        var negotiated = await _runtime.GetApiVersionAsync(Token);

        Assert.Equal(Version.Parse(server.APIVersion), negotiated);
        Assert.True(negotiated >= new Version(1, 41));
    }

    [Fact]
    public async Task GetCapacity_ReportsMillicoresAndMemory()
    {
        var info = await _docker.System.GetSystemInfoAsync(Token);

        var capacity = await _runtime.GetCapacityAsync(Token);

        Assert.Equal(info.NCPU * 1000, capacity.CpuMillicores);
        Assert.Equal(info.MemTotal, capacity.MemoryBytes);
        Assert.True(capacity.CpuMillicores >= 1000);
        Assert.True(capacity.MemoryBytes > 0);
    }

    [Fact]
    public async Task EnsureRunning_NewContainer_StartsLabelledAndServesHttpOnTheBoundPort()
    {
        var launch = Launch("web");

        var started = Assert.IsType<ContainerStarted>(await _runtime.EnsureRunningAsync(launch, Token));

        Assert.False(started.AlreadyRunning);
        var port = Assert.Single(started.Ports);
        Assert.Equal(WorkloadPort, port.ContainerPort);
        Assert.Equal("tcp", port.Protocol);
        Assert.InRange(port.HostPort, 1, 65535);
        Assert.Equal(HttpStatusCode.OK, await GetUntilAnsweredAsync(port.HostPort));

        var listed = Assert.Single(await _runtime.ListAsync(Labels(launch), Token));
        Assert.Equal(started.ContainerId, listed.Id);
        Assert.Equal(launch.Name, listed.Name);
        Assert.True(listed.Running);
        Assert.Equal("running", listed.State);
        Assert.Equal(started.Ports, listed.Ports);
        Assert.Equal(_run, listed.Labels[RunLabel]);
    }

    [Fact]
    public async Task EnsureRunning_Twice_KeepsOneContainer()
    {
        var launch = Launch("twice");

        var first = Assert.IsType<ContainerStarted>(await _runtime.EnsureRunningAsync(launch, Token));
        var second = Assert.IsType<ContainerStarted>(await _runtime.EnsureRunningAsync(launch, Token));

        Assert.False(first.AlreadyRunning);
        Assert.True(second.AlreadyRunning);
        Assert.Equal(first.ContainerId, second.ContainerId);
        Assert.Equal(first.Ports, second.Ports);
        Assert.Single(await _runtime.ListAsync(Labels(launch), Token));
    }

    [Fact]
    public async Task EnsureRunning_StoppedContainer_StartsTheSameContainerAgain()
    {
        var launch = Launch("stopped");
        var first = Assert.IsType<ContainerStarted>(await _runtime.EnsureRunningAsync(launch, Token));
        await _docker.Containers.StopContainerAsync(first.ContainerId, new ContainerStopParameters { WaitBeforeKillSeconds = 0 }, Token);
        Assert.False(Assert.Single(await _runtime.ListAsync(Labels(launch), Token)).Running);

        var again = Assert.IsType<ContainerStarted>(await _runtime.EnsureRunningAsync(launch, Token));

        Assert.False(again.AlreadyRunning);
        Assert.Equal(first.ContainerId, again.ContainerId);
        Assert.Equal(HttpStatusCode.OK, await GetUntilAnsweredAsync(Assert.Single(again.Ports).HostPort));
    }

    [Fact]
    public async Task EnsureRunning_PausedContainer_UnpausesTheSameContainer()
    {
        var launch = Launch("paused");
        var first = Assert.IsType<ContainerStarted>(await _runtime.EnsureRunningAsync(launch, Token));
        await _docker.Containers.PauseContainerAsync(first.ContainerId, Token);

        var again = Assert.IsType<ContainerStarted>(await _runtime.EnsureRunningAsync(launch, Token));

        Assert.True(again.AlreadyRunning);
        Assert.Equal(first.ContainerId, again.ContainerId);
        var state = (await _docker.Containers.InspectContainerAsync(first.ContainerId, Token)).State;
        Assert.NotNull(state);
        Assert.False(state.Paused);
        Assert.Equal(HttpStatusCode.OK, await GetUntilAnsweredAsync(Assert.Single(again.Ports).HostPort));
    }

    [Fact]
    public async Task EnsureRunning_ExistingContainerThatCannotStart_IsReplaced()
    {
        var launch = Launch("broken");
        var broken = await _docker.Containers.CreateContainerAsync(
            new CreateContainerParameters
            {
                Name = launch.Name,
                Image = WorkloadImage,
                Entrypoint = ["/does-not-exist"],
                Labels = launch.Labels.ToDictionary(),
            },
            Token);

        var started = Assert.IsType<ContainerStarted>(await _runtime.EnsureRunningAsync(launch, Token));

        Assert.NotEqual(broken.ID, started.ContainerId);
        Assert.Equal(HttpStatusCode.OK, await GetUntilAnsweredAsync(Assert.Single(started.Ports).HostPort));
        Assert.Equal(started.ContainerId, Assert.Single(await _runtime.ListAsync(Labels(launch), Token)).Id);
    }

    [Fact]
    public async Task EnsureRunning_HostPortTaken_FailsWithThePortAndLeavesNothing()
    {
        var hostPort = FreeLoopbackPort();
        var holder = Launch("holder", hostPort);
        var intruder = Launch("intruder", hostPort);
        Assert.IsType<ContainerStarted>(await _runtime.EnsureRunningAsync(holder, Token));

        var outcome = await _runtime.EnsureRunningAsync(intruder, Token);

        var failed = Assert.IsType<ContainerFailed>(outcome);
        Assert.Contains(hostPort.ToString(CultureInfo.InvariantCulture), failed.Reason, StringComparison.Ordinal);
        Assert.True(failed.HostPortTaken, failed.Reason);
        Assert.Empty(await _runtime.ListAsync(Labels(intruder), Token));
        await Assert.ThrowsAsync<DockerContainerNotFoundException>(
            () => _docker.Containers.InspectContainerAsync(intruder.Name, Token));
        Assert.Single(await _runtime.ListAsync(Labels(holder), Token));
    }

    [Fact]
    public async Task EnsureRunning_MissingImage_FailsWithTheEnginesReason()
    {
        var image = $"workers-test/nope-{_run}:1";
        var launch = Launch("noimage") with { Image = image };

        var outcome = await _runtime.EnsureRunningAsync(launch, Token);

        var failed = Assert.IsType<ContainerFailed>(outcome);
        Assert.Contains(image, failed.Reason, StringComparison.Ordinal);
        Assert.False(failed.HostPortTaken);
        Assert.Contains("could not be pulled", failed.Reason, StringComparison.Ordinal);
        Assert.Empty(await _runtime.ListAsync(Labels(launch), Token));
    }

    [Fact]
    public async Task EnsureRunning_AppliesLimitsEnvCommandAndLeastPrivilege()
    {
        var launch = Launch("limits") with
        {
            NanoCpus = 250_000_000,
            MemoryBytes = 64L * 1024 * 1024,
            Env = new Dictionary<string, string> { ["GREETING"] = "hello world" },
            Command = ["httpd", "-f", "-p", "8080", "-h", "/www"],
        };

        var started = Assert.IsType<ContainerStarted>(await _runtime.EnsureRunningAsync(launch, Token));
        var inspected = await _docker.Containers.InspectContainerAsync(started.ContainerId, Token);
        var host = inspected.HostConfig;
        var config = inspected.Config;
        Assert.NotNull(host);
        Assert.NotNull(config);

        Assert.Equal(250_000_000, host.NanoCPUs);
        Assert.Equal(64L * 1024 * 1024, host.Memory);
        Assert.Contains("GREETING=hello world", config.Env);
        Assert.Equal(["httpd", "-f", "-p", "8080", "-h", "/www"], config.Cmd);
        Assert.False(host.Privileged);
        Assert.Empty(host.CapAdd ?? []);
        Assert.Equal(["ALL"], host.CapDrop);
        Assert.Equal(512, host.PidsLimit);
        Assert.Equal("json-file", host.LogConfig.Type);
        Assert.Contains("no-new-privileges", host.SecurityOpt);
        Assert.Equal(RestartPolicyKind.No, host.RestartPolicy.Name);
        Assert.Equal("bridge", host.NetworkMode);
        Assert.Equal("127.0.0.1", Assert.Single(host.PortBindings[$"{WorkloadPort}/tcp"]).HostIP);
        Assert.Equal(HttpStatusCode.OK, await GetUntilAnsweredAsync(Assert.Single(started.Ports).HostPort));
    }

    [Fact]
    public async Task Stop_RunningContainer_StopsItAndKeepsItWithItsLabels()
    {
        var launch = Launch("stop");
        var started = Assert.IsType<ContainerStarted>(await _runtime.EnsureRunningAsync(launch, Token));

        Assert.True(await _runtime.StopAsync(started.ContainerId, TimeSpan.FromSeconds(1), Token));

        var listed = Assert.Single(await _runtime.ListAsync(Labels(launch), Token));
        Assert.Equal(started.ContainerId, listed.Id);
        Assert.False(listed.Running);
        Assert.Equal("exited", listed.State);
        Assert.Equal(_run, listed.Labels[RunLabel]);
    }

    [Fact]
    public async Task Stop_StoppedOrMissingContainer_IsFineAndFalseOnlyWhenMissing()
    {
        var launch = Launch("stop-twice");
        Assert.IsType<ContainerStarted>(await _runtime.EnsureRunningAsync(launch, Token));
        Assert.True(await _runtime.StopAsync(launch.Name, TimeSpan.Zero, Token));

        Assert.True(await _runtime.StopAsync(launch.Name, TimeSpan.Zero, Token));
        Assert.False(await _runtime.StopAsync($"workers-test-{_run}-never-made", TimeSpan.Zero, Token));
        Assert.False(Assert.Single(await _runtime.ListAsync(Labels(launch), Token)).Running);
    }

    [Fact]
    public async Task Remove_Twice_IsTrueThenFalse()
    {
        var launch = Launch("remove");
        Assert.IsType<ContainerStarted>(await _runtime.EnsureRunningAsync(launch, Token));

        Assert.True(await _runtime.RemoveAsync(launch.Name, TimeSpan.FromSeconds(1), Token));
        Assert.False(await _runtime.RemoveAsync(launch.Name, TimeSpan.FromSeconds(1), Token));
        Assert.Empty(await _runtime.ListAsync(Labels(launch), Token));
    }

    [Fact]
    public async Task Remove_StoppedContainer_IsTrue()
    {
        var launch = Launch("remove-stopped");
        var started = Assert.IsType<ContainerStarted>(await _runtime.EnsureRunningAsync(launch, Token));
        await _docker.Containers.StopContainerAsync(started.ContainerId, new ContainerStopParameters { WaitBeforeKillSeconds = 0 }, Token);

        Assert.True(await _runtime.RemoveAsync(launch.Name, TimeSpan.Zero, Token));
        Assert.Empty(await _runtime.ListAsync(Labels(launch), Token));
    }

    [Fact]
    public async Task List_FiltersByEveryLabel()
    {
        var alpha = Launch("alpha") with { Labels = RunLabels(("role", "alpha"), (NameLabel, "alpha")) };
        var beta = Launch("beta") with { Labels = RunLabels(("role", "beta"), (NameLabel, "beta")) };
        Assert.IsType<ContainerStarted>(await _runtime.EnsureRunningAsync(alpha, Token));
        Assert.IsType<ContainerStarted>(await _runtime.EnsureRunningAsync(beta, Token));

        var both = await _runtime.ListAsync(RunLabels(), Token);
        var onlyAlpha = await _runtime.ListAsync(RunLabels(("role", "alpha")), Token);
        var none = await _runtime.ListAsync(RunLabels(("role", "gamma")), Token);

        Assert.Equal([alpha.Name, beta.Name], both.Select(container => container.Name).Order(StringComparer.Ordinal));
        Assert.Equal(alpha.Name, Assert.Single(onlyAlpha).Name);
        Assert.Equal("alpha", onlyAlpha[0].Labels["role"]);
        Assert.Empty(none);
    }

    [Fact]
    public async Task Exec_Command_ReturnsItsExitCodeAndOutput()
    {
        var started = Assert.IsType<ContainerStarted>(await _runtime.EnsureRunningAsync(Launch("exec"), Token));

        var result = await _runtime.ExecAsync(started.ContainerId, ["sh", "-c", "echo out; echo err >&2; exit 7"], TimeSpan.FromSeconds(10), Token);

        Assert.Equal(7, result.ExitCode);
        Assert.Contains("out\n", result.Output, StringComparison.Ordinal);
        Assert.Contains("err\n", result.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Exec_LongOutput_KeepsItsLast4KiB()
    {
        var started = Assert.IsType<ContainerStarted>(await _runtime.EnsureRunningAsync(Launch("exec-long"), Token));

        var result = await _runtime.ExecAsync(started.ContainerId, ["sh", "-c", "seq 1 20000; echo last"], TimeSpan.FromSeconds(10), Token);

        Assert.Equal(0, result.ExitCode);
        Assert.Equal(4096, result.Output.Length);
        Assert.EndsWith("20000\nlast\n", result.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Exec_CommandOutlastsTimeout_ThrowsTimeout()
    {
        var started = Assert.IsType<ContainerStarted>(await _runtime.EnsureRunningAsync(Launch("exec-slow"), Token));

        await Assert.ThrowsAsync<TimeoutException>(
            () => _runtime.ExecAsync(started.ContainerId, ["sleep", "30"], TimeSpan.FromMilliseconds(300), Token));
    }

    [Fact]
    public async Task Exec_StoppedContainer_ThrowsWithTheEnginesReason()
    {
        var started = Assert.IsType<ContainerStarted>(await _runtime.EnsureRunningAsync(Launch("exec-stopped"), Token));
        await _docker.Containers.StopContainerAsync(started.ContainerId, new ContainerStopParameters { WaitBeforeKillSeconds = 0 }, Token);

        var error = await Assert.ThrowsAsync<InvalidOperationException>(
            () => _runtime.ExecAsync(started.ContainerId, ["true"], TimeSpan.FromSeconds(10), Token));

        Assert.Contains("is not running", error.Message, StringComparison.Ordinal);
    }

    private ContainerLaunch Launch(string role, int hostPort = 0)
    {
        var name = $"workers-test-{_run}-{role}";
        return new ContainerLaunch(
            name,
            WorkloadImage,
            Command: null,
            Env: new Dictionary<string, string>(),
            Ports: [new PortPublish(WorkloadPort, hostPort, "tcp")],
            NanoCpus: null,
            MemoryBytes: null,
            Labels: RunLabels((NameLabel, name)),
            BindAddress: "127.0.0.1");
    }

    private Dictionary<string, string> RunLabels(params (string Key, string Value)[] extra)
    {
        var labels = new Dictionary<string, string> { [RunLabel] = _run };
        foreach (var (key, value) in extra)
        {
            labels[key] = value;
        }

        return labels;
    }

    private static Dictionary<string, string> Labels(ContainerLaunch launch) =>
        new() { [NameLabel] = launch.Labels[NameLabel] };

    private static int FreeLoopbackPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>GETs the workload until it answers (it needs a moment to bind), for at most 30 seconds.</summary>
    private static async Task<HttpStatusCode> GetUntilAnsweredAsync(int hostPort)
    {
        var uri = new Uri($"http://127.0.0.1:{hostPort}/");
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        using var poll = new PeriodicTimer(TimeSpan.FromMilliseconds(100));
        Exception? last = null;
        try
        {
            do
            {
                try
                {
                    using var response = await http.GetAsync(uri, deadline.Token);
                    return response.StatusCode;
                }
                catch (HttpRequestException exception)
                {
                    last = exception;
                }
            }
            while (await poll.WaitForNextTickAsync(deadline.Token));
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested)
        {
        }

        Assert.Fail($"{uri} did not answer within 30 s: {last?.Message}");
        return default;
    }
}
