using System.Diagnostics;
using Docker.DotNet;
using Docker.DotNet.Models;

namespace Workers.Bench.Latency;

/// <summary>
/// Docker Swarm on this engine: a single-node swarm initialised here (and left again at the end, unless it existed
/// before), one replicated service per deployment with port 8080 published in host mode (a random host port per task,
/// as Workers publishes one per replica), timed from the create call until every task reports running.
/// </summary>
/// <remarks>
/// The service goes through the Engine API (<c>POST /services/create</c>, what <c>docker service create</c> calls) so
/// that no CLI start-up is counted against Swarm, and its image is named by its local ID: that is what
/// <c>--no-resolve-image</c> plus a local image amounts to, and a tag would make every task try a registry pull first.
/// </remarks>
internal sealed class SwarmSide(DockerClient docker, string runId) : ISide
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(10);
    private readonly Dictionary<string, string> _services = new(StringComparer.Ordinal);
    private bool _initialised;
    private string _image = Workload.Image;

    public const string Title = "Swarm";

    public string Name => Title;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var info = await docker.System.GetSystemInfoAsync(cancellationToken);
        if (info.Swarm?.LocalNodeState is "active")
        {
            Console.Error.WriteLine("latency: this engine is already in a swarm; using it and leaving it as it is");
        }
        else
        {
            await docker.Swarm.InitSwarmAsync(new SwarmInitParameters { AdvertiseAddr = "127.0.0.1", ListenAddr = "127.0.0.1:2377" }, cancellationToken);
            _initialised = true;
        }

        _image = (await docker.Images.InspectImageAsync(Workload.Image, cancellationToken)).ID;
    }

    public async Task<TimeSpan> DeployAsync(string name, int replicas, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        var created = await docker.Swarm.CreateServiceAsync(new ServiceCreateParameters { Service = Spec(name, replicas) }, cancellationToken);
        var id = created.ID ?? throw new InvalidOperationException($"Swarm created service {name} without an ID");
        _services[name] = id;
        var filter = new TasksListParameters
        {
            Filters = new Dictionary<string, IDictionary<string, bool>>(StringComparer.Ordinal)
            {
                ["service"] = new Dictionary<string, bool>(StringComparer.Ordinal) { [id] = true },
            },
        };
        while (true)
        {
            var tasks = await docker.Tasks.ListAsync(filter, cancellationToken);
            if (tasks.Count(t => t.Status?.State == TaskState.Running) >= replicas)
            {
                return clock.Elapsed;
            }

            if (tasks.FirstOrDefault(t => t.Status?.State is TaskState.Failed or TaskState.Rejected) is { } failed)
            {
                throw new InvalidOperationException($"Swarm task of {name} {failed.Status!.State}: {failed.Status.Err}");
            }

            await Task.Delay(PollInterval, cancellationToken);
        }
    }

    public async Task CleanAsync(string name, CancellationToken cancellationToken)
    {
        if (_services.Remove(name, out var id))
        {
            await docker.Swarm.RemoveServiceAsync(id, cancellationToken);
        }

        // Swarm stops and removes the tasks' containers after the service is gone, in its own time.
        await DockerLabels.WaitUntilNoneAsync(docker, new Dictionary<string, string> { [Workload.RunLabel] = runId, [Workload.NameLabel] = name }, TimeSpan.FromSeconds(60), cancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        foreach (var id in _services.Values)
        {
            try
            {
                await docker.Swarm.RemoveServiceAsync(id, timeout.Token);
            }
            catch (DockerApiException)
            {
                // Gone already, or the swarm is: leaving removes it anyway.
            }
        }

        if (_initialised)
        {
            await docker.Swarm.LeaveSwarmAsync(new SwarmLeaveParameters { Force = true }, timeout.Token);
        }

        await DockerLabels.RemoveAllAsync(docker, new Dictionary<string, string> { [Workload.RunLabel] = runId }, timeout.Token);
    }

    private ServiceSpec Spec(string name, int replicas)
    {
        var labels = new Dictionary<string, string>(StringComparer.Ordinal) { [Workload.RunLabel] = runId, [Workload.NameLabel] = name };
        return new ServiceSpec
        {
            Name = name,
            Labels = labels,
            Mode = new ServiceMode { Replicated = new ReplicatedService { Replicas = (ulong)replicas } },
            TaskTemplate = new TaskSpec { ContainerSpec = new ContainerSpec { Image = _image, Labels = labels } },
            EndpointSpec = new EndpointSpec
            {
                Ports = [new PortConfig { Protocol = "tcp", TargetPort = Workload.ContainerPort, PublishMode = "host" }],
            },
        };
    }
}
