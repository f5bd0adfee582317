using System.Diagnostics;
using Docker.DotNet;
using Docker.DotNet.Models;
using RabbitMQ.Client;
using Workers.Transport;

namespace Workers.Bench.Footprint;

/// <summary>
/// RabbitMQ in a container of the local test image (no registry is reachable here: scripts/test-env.sh builds it),
/// published on a port of 127.0.0.1 the engine chooses; removed on disposal.
/// </summary>
internal sealed class BenchBroker : IAsyncDisposable
{
    private const string AmqpPort = "5672/tcp";

    private readonly DockerClient _docker;
    private readonly string _containerId;

    private BenchBroker(DockerClient docker, string containerId, string setting)
    {
        _docker = docker;
        _containerId = containerId;
        Setting = setting;
    }

    /// <summary>The WORKERS_BROKER setting for processes that connect to it.</summary>
    public string Setting { get; }

    public Broker Broker => Broker.Parse(Setting);

    public static async Task<BenchBroker> StartAsync(DockerClient docker, string image, CancellationToken cancellationToken)
    {
        var password = Guid.NewGuid().ToString("N");
        var created = await docker.Containers.CreateContainerAsync(
            new CreateContainerParameters
            {
                Name = $"workers-bench-rabbitmq-{Guid.NewGuid():N}"[..36],
                Image = image,
                Env = ["RABBITMQ_DEFAULT_USER=workers", $"RABBITMQ_DEFAULT_PASS={password}"],
                Labels = new Dictionary<string, string> { ["workers.bench"] = "footprint" },
                ExposedPorts = new Dictionary<string, EmptyStruct> { [AmqpPort] = default },
                HostConfig = new HostConfig
                {
                    PortBindings = new Dictionary<string, IList<PortBinding>> { [AmqpPort] = [new PortBinding { HostIP = "127.0.0.1", HostPort = string.Empty }] },
                },
            },
            cancellationToken);
        var broker = new BenchBroker(docker, created.ID, string.Empty);
        try
        {
            await docker.Containers.StartContainerAsync(created.ID, new ContainerStartParameters(), cancellationToken);
            var inspected = await docker.Containers.InspectContainerAsync(created.ID, cancellationToken);
            var port = (inspected.NetworkSettings?.Ports is { } ports && ports.TryGetValue(AmqpPort, out var bindings) ? bindings?.FirstOrDefault()?.HostPort : null)
                ?? throw new InvalidOperationException($"RabbitMQ's {AmqpPort} was not published");
            await WaitForAmqpAsync(new Uri($"amqp://workers:{password}@127.0.0.1:{port}/"), TimeSpan.FromSeconds(120), cancellationToken);
            return new BenchBroker(docker, created.ID, $"rabbitmq://workers:{password}@127.0.0.1:{port}/");
        }
        catch
        {
            await broker.DisposeAsync();
            throw;
        }
    }

    public async ValueTask DisposeAsync() =>
        await _docker.Containers.RemoveContainerAsync(_containerId, new ContainerRemoveParameters { Force = true, RemoveVolumes = true });

    /// <summary>Docker's port proxy accepts connections before RabbitMQ listens: only a finished AMQP handshake counts.</summary>
    private static async Task WaitForAmqpAsync(Uri amqp, TimeSpan deadline, CancellationToken cancellationToken)
    {
        var factory = new ConnectionFactory { Uri = amqp };
        var clock = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                using var attempt = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                attempt.CancelAfter(TimeSpan.FromSeconds(5));
                await using var connection = await factory.CreateConnectionAsync(attempt.Token);
                return;
            }
            catch (Exception e) when (e is RabbitMQ.Client.Exceptions.BrokerUnreachableException or OperationCanceledException or IOException && clock.Elapsed < deadline)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(500), cancellationToken);
            }
        }
    }
}
