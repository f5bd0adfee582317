using System.Globalization;
using System.Net;
using Docker.DotNet;
using Microsoft.Extensions.Logging.Abstractions;
using Workers.Contracts.Messages;
using Workers.Contracts.Spec;
using Workers.HostAgent.Agent;
using Workers.HostAgent.Runtime;
using Workers.HostAgent.Tests.Support;

namespace Workers.HostAgent.Tests.Agent;

/// <summary>
/// What `docker inspect` shows of a replica the agent started from a spec, on the real engine: the defaults every
/// container gets, and what the spec's container fields change. The workload (busybox httpd) must keep answering.
/// </summary>
public sealed class ContainerDefaultsDockerTests : IAsyncLifetime, IDisposable
{
    private const long Mi = 1024 * 1024;

    private readonly string _run = Guid.NewGuid().ToString("N")[..12];
    private readonly DockerContainerRuntime _runtime = new(NullLogger<DockerContainerRuntime>.Instance);
    private readonly DockerClient _docker;
    private readonly CancellationTokenSource _timeout = new(TimeSpan.FromMinutes(2));
    private readonly AgentOptions _options;

    public ContainerDefaultsDockerTests()
    {
        _docker = new DockerClientBuilder().WithEndpoint(_runtime.Endpoint).Build();
        _options = new(HostId.From($"cd-{_run}"), new Dictionary<string, string>(), "127.0.0.1", TimeSpan.FromSeconds(1), TimeSpan.Zero) { Keys = TestKeys.Agent, ControlKeys = TestKeys.Trusted };
    }

    private CancellationToken Token => _timeout.Token;

    public Task InitializeAsync() => RealDockerEngine.RequireAsync(_runtime, _docker);

    public async Task DisposeAsync()
    {
        using var cleanup = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        foreach (var container in await _runtime.ListAsync(new Dictionary<string, string> { [ContainerLabels.Host] = _options.HostId.Value }, cleanup.Token))
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
    public async Task Start_SpecAskingNothingSpecial_RunsHardenedWithTheDefaultLimitsAndServes()
    {
        var (containerId, hostPort) = await StartAsync("plain", string.Empty);

        var inspected = await _docker.Containers.InspectContainerAsync(containerId, Token);
        var host = inspected.HostConfig!;
        Assert.Equal(["ALL"], host.CapDrop);
        Assert.Empty(host.CapAdd ?? []);
        Assert.Equal(["no-new-privileges"], host.SecurityOpt);
        Assert.False(host.Privileged);
        Assert.Equal(512, host.PidsLimit);
        Assert.Equal("json-file", host.LogConfig.Type);
        Assert.Equal(new Dictionary<string, string> { ["max-size"] = "10m", ["max-file"] = "3" }, host.LogConfig.Config);
        Assert.Equal(1_000_000_000, host.NanoCPUs);
        Assert.Equal(512 * Mi, host.Memory);
        Assert.False(host.ReadonlyRootfs);
        Assert.Empty(host.Tmpfs ?? new Dictionary<string, string>());
        Assert.Equal(string.Empty, inspected.Config!.User);

        // What the kernel holds the workload to: no capability at all, and no way to gain one.
        var status = await ProcessStatusAsync(containerId);
        Assert.Equal("0000000000000000", status["CapEff"]);
        Assert.Equal("0000000000000000", status["CapBnd"]);
        Assert.Equal("1", status["NoNewPrivs"]);
        Assert.Equal(HttpStatusCode.OK, await GetUntilAnsweredAsync(hostPort));

        // The labels keep what the spec reserved (nothing), not the default cap, so capacity is counted as before.
        var labels = Assert.Single(await _runtime.ListAsync(new Dictionary<string, string> { [ContainerLabels.Host] = _options.HostId.Value }, Token)).Labels;
        Assert.Equal(("0", "0"), (labels[ContainerLabels.CpuMillicores], labels[ContainerLabels.MemoryBytes]));
    }

    [Fact]
    public async Task Start_SpecWithContainerFields_RunsAsAskedAndServes()
    {
        var (containerId, hostPort) = await StartAsync("custom", """
            user: "65534:65534"
            readOnlyRootFilesystem: true
            capabilities: [CHOWN, NET_BIND_SERVICE]
            resources: { cpu: 250m, memory: 64Mi, pids: 64 }
            """);

        var inspected = await _docker.Containers.InspectContainerAsync(containerId, Token);
        var host = inspected.HostConfig!;
        Assert.Equal(["ALL"], host.CapDrop);
        Assert.Equal(["CHOWN", "NET_BIND_SERVICE"], host.CapAdd);
        Assert.Equal(64, host.PidsLimit);
        Assert.Equal(250_000_000, host.NanoCPUs);
        Assert.Equal(64 * Mi, host.Memory);
        Assert.True(host.ReadonlyRootfs);
        Assert.Equal(new Dictionary<string, string> { ["/tmp"] = "rw,noexec,nosuid,nodev,size=64m" }, host.Tmpfs);
        Assert.Equal("65534:65534", inspected.Config!.User);
        Assert.Equal(["no-new-privileges"], host.SecurityOpt);

        // CHOWN is bit 0 and NET_BIND_SERVICE bit 10 of the bounding set; a non-root process holds none effectively.
        var status = await ProcessStatusAsync(containerId);
        Assert.Equal("0000000000000401", status["CapBnd"]);
        Assert.Equal("0000000000000000", status["CapEff"]);
        Assert.Equal("65534", status["Uid"].Split('\t')[0]);
        Assert.Equal(HttpStatusCode.OK, await GetUntilAnsweredAsync(hostPort));

        var rootWrite = await _runtime.ExecAsync(containerId, ["sh", "-c", "echo x > /www/written"], TimeSpan.FromSeconds(10), Token);
        Assert.NotEqual(0, rootWrite.ExitCode);
        Assert.Contains("Read-only file system", rootWrite.Output, StringComparison.Ordinal);
        var tmpWrite = await _runtime.ExecAsync(containerId, ["sh", "-c", "echo x > /tmp/written && cat /tmp/written"], TimeSpan.FromSeconds(10), Token);
        Assert.Equal((0L, "x"), (tmpWrite.ExitCode, tmpWrite.Output.Trim()));
    }

    [Fact]
    public async Task Start_AgentDefaultsConfigured_AreWhatTheContainerGets()
    {
        var read = AgentOptions.TryRead(
            key => key switch
            {
                "WORKERS_HOST_ID" => _options.HostId.Value,
                "WORKERS_CONTROL_KEYS" => TestKeys.Control.PublicKey.Base64,
                "WORKERS_AGENT_KEY" => TestKeys.AgentKeyFile,
                "WORKERS_BIND_ADDRESS" => "127.0.0.1",
                "WORKERS_DEFAULT_CPU" => "none",
                "WORKERS_DEFAULT_MEMORY" => "48Mi",
                "WORKERS_DEFAULT_PIDS_LIMIT" => "100",
                "WORKERS_LOG_MAX_SIZE" => "1m",
                "WORKERS_LOG_MAX_FILES" => "2",
                _ => null,
            },
            out var options,
            out var errors);
        Assert.True(read, string.Join("; ", errors));

        var (containerId, _) = await StartAsync("configured", string.Empty, options);

        var host = (await _docker.Containers.InspectContainerAsync(containerId, Token)).HostConfig!;
        Assert.Equal(0, host.NanoCPUs);
        Assert.Equal(48 * Mi, host.Memory);
        Assert.Equal(100, host.PidsLimit);
        Assert.Equal(new Dictionary<string, string> { ["max-size"] = "1m", ["max-file"] = "2" }, host.LogConfig.Config);
    }

    private async Task<(string ContainerId, int HostPort)> StartAsync(string name, string extra, AgentOptions? options = null)
    {
        options ??= _options;
        var spec = SpecParser.Parse(
            $"name: {name}\nimage: {RealDockerEngine.WorkloadImage}\nports: [{{ container: {RealDockerEngine.WorkloadPort} }}]\n{extra}\n", $"{name}.yaml", SpecFormat.Yaml);
        Assert.True(spec.IsValid, string.Join("; ", spec.Problems));
        var hostPort = RealDockerEngine.FreePortInDefaultRange();
        var start = TestKeys.Control.Sign(new StartReplicas(Guid.NewGuid(), Guid.NewGuid(), DateTimeOffset.UtcNow, options.HostId.Value, 1, DateTimeOffset.UtcNow.AddMinutes(5), spec.Spec,
            [new ReplicaAssignment(0, [new PortBinding(RealDockerEngine.WorkloadPort, hostPort, Protocol.Tcp)])]));
        var publisher = RecordingPublisher.Create();
        using var probes = new HealthProbes(_runtime, options);
        using var monitor = new HealthMonitor(publisher.Scopes(), _runtime, probes, options, TimeProvider.System, NullLogger<HealthMonitor>.Instance);
        var handler = new ReplicaCommandHandler(_runtime, monitor, options, TimeProvider.System, NullLogger<ReplicaCommandHandler>.Instance);

        var result = Assert.Single(await handler.HandleAsync(start, _ => Task.CompletedTask, Token));

        return (Assert.IsType<ReplicaStarted>(result).ContainerId, hostPort);
    }

    /// <summary>The fields of /proc/1/status (the container's first process) by name.</summary>
    private async Task<Dictionary<string, string>> ProcessStatusAsync(string containerId)
    {
        var result = await _runtime.ExecAsync(containerId, ["cat", "/proc/1/status"], TimeSpan.FromSeconds(10), Token);
        Assert.Equal(0, result.ExitCode);
        return result.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => line.Split(':', 2))
            .Where(parts => parts.Length == 2)
            .ToDictionary(parts => parts[0], parts => parts[1].Trim(), StringComparer.Ordinal);
    }

    /// <summary>GETs the workload until it answers (it needs a moment to bind), for at most 30 seconds.</summary>
    private static async Task<HttpStatusCode> GetUntilAnsweredAsync(int hostPort)
    {
        var uri = new Uri(string.Create(CultureInfo.InvariantCulture, $"http://127.0.0.1:{hostPort}/"));
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        var deadline = DateTimeOffset.UtcNow + TimeSpan.FromSeconds(30);
        using var poll = new PeriodicTimer(TimeSpan.FromMilliseconds(100));
        while (true)
        {
            try
            {
                using var response = await http.GetAsync(uri);
                return response.StatusCode;
            }
            catch (HttpRequestException) when (DateTimeOffset.UtcNow < deadline)
            {
                // Not listening yet.
                await poll.WaitForNextTickAsync();
            }
        }
    }
}
