using System.Text.Json;
using Docker.DotNet;
using Microsoft.Extensions.Logging.Abstractions;
using Workers.Contracts.Messages;
using Workers.Contracts.Spec;
using Workers.HostAgent.Agent;
using Workers.HostAgent.Runtime;
using Workers.HostAgent.Tests.Support;

namespace Workers.HostAgent.Tests.Agent;

/// <summary>The handler and the monitor on the real Docker engine, as an agent that restarts would use them.</summary>
public sealed class HealthMonitorDockerTests : IAsyncLifetime, IDisposable
{
    private readonly string _run = Guid.NewGuid().ToString("N")[..12];
    private readonly DockerContainerRuntime _runtime = new(NullLogger<DockerContainerRuntime>.Instance);
    private readonly CancellationTokenSource _timeout = new(TimeSpan.FromMinutes(2));
    private readonly AgentOptions _options;

    public HealthMonitorDockerTests() =>
        _options = new(HostId.From($"hc-{_run}"), new Dictionary<string, string>(), "127.0.0.1", TimeSpan.FromSeconds(1), TimeSpan.Zero) { Keys = TestKeys.Agent, ControlKeys = TestKeys.Trusted };

    public async Task InitializeAsync()
    {
        using var docker = new DockerClientBuilder().WithEndpoint(_runtime.Endpoint).Build();
        await RealDockerEngine.RequireAsync(_runtime, docker);
    }

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
        _timeout.Dispose();
    }

    [Fact]
    public async Task Monitor_StartedOverAContainerAnEarlierAgentStarted_ResumesProbingFromItsLabels()
    {
        var spec = SpecParser.Parse(
            $$"""
            name: web
            image: {{RealDockerEngine.WorkloadImage}}
            ports: [{ container: {{RealDockerEngine.WorkloadPort}} }]
            healthCheck:
              http: { port: {{RealDockerEngine.WorkloadPort}}, path: /healthz }
              interval: 200ms
              timeout: 150ms
              retries: 5
            update: { minReady: 600ms }
            """, "web.yaml", SpecFormat.Yaml).Spec!;
        var deploymentId = Guid.NewGuid();
        var start = TestKeys.Control.Sign(new StartReplicas(Guid.NewGuid(), deploymentId, DateTimeOffset.UtcNow, _options.HostId.Value, 3, DateTimeOffset.UtcNow.AddMinutes(5), spec,
            [new ReplicaAssignment(1, [new PortBinding(RealDockerEngine.WorkloadPort, RealDockerEngine.FreePortInDefaultRange(), Protocol.Tcp)])]));

        // The earlier agent: starts the replica, then stops before judging it.
        string containerId;
        var earlierPublisher = RecordingPublisher.Create();
        using (var earlierProbes = new HealthProbes(_runtime, _options))
        using (var earlier = new HealthMonitor(earlierPublisher.Scopes(), _runtime, earlierProbes, _options, TimeProvider.System, NullLogger<HealthMonitor>.Instance))
        {
            var handler = new ReplicaCommandHandler(_runtime, earlier, _options, TimeProvider.System, NullLogger<ReplicaCommandHandler>.Instance);
            var results = await handler.HandleAsync(start, _ => Task.CompletedTask, _timeout.Token);
            containerId = Assert.IsType<ReplicaStarted>(Assert.Single(results)).ContainerId;
        }

        var labels = Assert.Single(await _runtime.ListAsync(new Dictionary<string, string> { [ContainerLabels.Host] = _options.HostId.Value }, _timeout.Token)).Labels;
        Assert.Equal("600", labels[ContainerLabels.MinReadyMs]);
        Assert.Equal(
            JsonSerializer.Serialize(new { kind = "http", port = 8080, path = "/healthz", intervalMs = 200, timeoutMs = 150, retries = 5 }),
            labels[ContainerLabels.Health]);

        // The agent after the restart knows nothing of it but what Docker says.
        var publisher = RecordingPublisher.Create();
        using var probes = new HealthProbes(_runtime, _options);
        using var monitor = new HealthMonitor(publisher.Scopes(), _runtime, probes, _options, TimeProvider.System, NullLogger<HealthMonitor>.Instance);
        await monitor.StartAsync(_timeout.Token);
        try
        {
            await Poll.UntilAsync(() => !publisher.Published.IsEmpty, "the resumed monitor publishes Healthy");

            var changed = Assert.IsType<ReplicaHealthChanged>(Assert.Single(publisher.Published));
            Assert.Equal(
                (deploymentId, _options.HostId.Value, "web", 3L, 1, containerId, ReplicaHealth.Healthy, (string?)null),
                (changed.CorrelationId, changed.HostId, changed.Name, changed.Revision, changed.Index, changed.ContainerId, changed.Health, changed.Reason));
            Assert.Equal(HealthVerdict.Healthy, monitor.Current(containerId));
        }
        finally
        {
            await monitor.StopAsync(CancellationToken.None);
        }
    }
}
