using System.Diagnostics;
using Docker.DotNet;
using Docker.DotNet.Models;

namespace Workers.Bench.Latency;

/// <summary>
/// The floor: the same containers the agent would make (same image, labels, port publication on 127.0.0.1, restart
/// policy and security options), created and started straight through the Engine API, all at once.
/// </summary>
internal sealed class FloorSide(DockerClient docker, string runId) : ISide
{
    public const string Title = "floor (Engine API)";

    public string Name => Title;

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public async Task<TimeSpan> DeployAsync(string name, int replicas, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, replicas).Select(async index =>
        {
            var created = await docker.Containers.CreateContainerAsync(Parameters(name, index), cancellationToken);
            await docker.Containers.StartContainerAsync(created.ID, new ContainerStartParameters(), cancellationToken);
        }));
        return clock.Elapsed;
    }

    public async Task CleanAsync(string name, CancellationToken cancellationToken)
    {
        var labels = Labels(name);
        await DockerLabels.RemoveAllAsync(docker, labels, cancellationToken);
        await DockerLabels.WaitUntilNoneAsync(docker, labels, TimeSpan.FromSeconds(30), cancellationToken);
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    private Dictionary<string, string> Labels(string name) => new(StringComparer.Ordinal) { [Workload.RunLabel] = runId, [Workload.NameLabel] = name };

    private CreateContainerParameters Parameters(string name, int index)
    {
        var port = $"{Workload.ContainerPort}/tcp";
        return new CreateContainerParameters
        {
            Name = $"{name}-{index}",
            Image = Workload.Image,
            Env = [],
            Labels = Labels(name),
            ExposedPorts = new Dictionary<string, EmptyStruct>(StringComparer.Ordinal) { [port] = default },
            HostConfig = new HostConfig
            {
                PortBindings = new Dictionary<string, IList<PortBinding>>(StringComparer.Ordinal)
                {
                    [port] = [new PortBinding { HostIP = "127.0.0.1", HostPort = string.Empty }],
                },
                RestartPolicy = new RestartPolicy { Name = RestartPolicyKind.No },
                NetworkMode = "bridge",
                Privileged = false,
                SecurityOpt = ["no-new-privileges"],
                Init = false,
            },
        };
    }
}
