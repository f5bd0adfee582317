using System.Diagnostics;
using Docker.DotNet;
using Microsoft.Extensions.Logging.Abstractions;
using Workers.HostAgent.Runtime;

namespace Workers.Bench.Latency;

/// <summary>
/// Diagnostic side (with <c>--trace</c>): the agent's own Docker runtime bringing the same replicas up, all at once, as
/// the agent does for one start command; set against the floor it shows what the agent's Engine API calls add.
/// </summary>
internal sealed class AgentRuntimeSide(DockerClient docker, string runId) : ISide
{
    private readonly DockerContainerRuntime _runtime = new(NullLogger<DockerContainerRuntime>.Instance);

    public const string Title = "agent runtime alone";

    public string Name => Title;

    public Task StartAsync(CancellationToken cancellationToken) => _runtime.GetApiVersionAsync(cancellationToken);

    public async Task<TimeSpan> DeployAsync(string name, int replicas, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        var outcomes = await Task.WhenAll(Enumerable.Range(0, replicas).Select(index => _runtime.EnsureRunningAsync(Launch(name, index), cancellationToken)));
        var elapsed = clock.Elapsed;
        return outcomes.OfType<ContainerFailed>().FirstOrDefault() is { } failed
            ? throw new InvalidOperationException(failed.Reason)
            : elapsed;
    }

    public async Task CleanAsync(string name, CancellationToken cancellationToken)
    {
        var labels = new Dictionary<string, string> { [Workload.RunLabel] = runId, [Workload.NameLabel] = name };
        await DockerLabels.RemoveAllAsync(docker, labels, cancellationToken);
        await DockerLabels.WaitUntilNoneAsync(docker, labels, TimeSpan.FromSeconds(30), cancellationToken);
    }

    public ValueTask DisposeAsync()
    {
        _runtime.Dispose();
        return ValueTask.CompletedTask;
    }

    private ContainerLaunch Launch(string name, int index) => new(
        $"{name}-{index}",
        Workload.Image,
        null,
        new Dictionary<string, string>(),
        [new PortPublish(Workload.ContainerPort, 0, "tcp")],
        null,
        null,
        new Dictionary<string, string> { [Workload.RunLabel] = runId, [Workload.NameLabel] = name },
        "127.0.0.1");
}
