using System.Globalization;
using Docker.DotNet;
using Docker.DotNet.Models;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;
using Workers.Transport;

namespace Workers.Bench.Latency;

/// <summary>
/// Workers as it is deployed: RabbitMQ (the local workers-test image, in a container), the functions host and one agent
/// each as its own process (their built DLLs, SQLite store), and this process as a client on the broker.
/// </summary>
internal sealed class RabbitMqSide(DockerClient docker, string runId, string workDirectory, SpanRecorder? spans) : ISide
{
    private readonly string _hostId = $"bench-{runId}-r";
    private readonly List<ChildProcess> _processes = [];
    private string? _brokerContainer;
    private IHost? _client;
    private DeploymentObserver? _observer;
    private WorkersPipeline? _pipeline;

    public const string Title = "Workers RabbitMQ + agent process";

    public string Name => Title;

    /// <summary>RabbitMQ 3.10: the integration suites' image.</summary>
    private static string RabbitMqImage => TestImages.RabbitMq;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var setting = await StartBrokerAsync(cancellationToken);
        var logging = new Dictionary<string, string>
        {
            ["DOTNET_ENVIRONMENT"] = "Production",
            ["Logging__Console__FormatterName"] = "simple",
            ["Logging__Console__FormatterOptions__TimestampFormat"] = "HH:mm:ss.fff ",
            ["Logging__Console__FormatterOptions__SingleLine"] = "true",
        };
        // The functions sign with a key made here; the agent trusts its public half and keeps its own key beside it.
        var controlKey = Path.Combine(workDirectory, "control.key");
        Workers.Security.ControlPlaneKey.Load(controlKey).Dispose();
        _processes.Add(ChildProcess.StartBuilt("Functions.Host", "Workers.Functions.Host", new Dictionary<string, string>(logging)
        {
            ["WORKERS_SIGNING_KEY"] = controlKey,
            ["WORKERS_BROKER"] = setting,
            ["WORKERS_STORE"] = Path.Combine(workDirectory, "functions.db"),
        }, Path.Combine(workDirectory, "functions.log")));
        _processes.Add(ChildProcess.Start(ChildProcess.Agent(), new Dictionary<string, string>(logging)
        {
            ["WORKERS_BROKER"] = setting,
            ["WORKERS_HOST_ID"] = _hostId,
            ["WORKERS_CONTROL_KEYS"] = Path.ChangeExtension(controlKey, ".pub"),
            ["WORKERS_AGENT_KEY"] = Path.Combine(workDirectory, "agent.key"),
            ["WORKERS_BIND_ADDRESS"] = "127.0.0.1",
        }, Path.Combine(workDirectory, "agent.log")));

        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Logging.AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(LogLevel.Warning);
        builder.Services.AddWorkersBus(Broker.Parse(setting), _ => { }, (_, _) => { });
        _client = builder.Build();
        await _client.StartAsync(cancellationToken);
        var bus = _client.Services.GetRequiredService<IBus>();
        _observer = await DeploymentObserver.ConnectAsync(bus, cancellationToken);
        _pipeline = new WorkersPipeline(bus, _observer, docker, _hostId, spans);
        await _pipeline.WaitForHostAsync(cancellationToken);
    }

    public Task<TimeSpan> DeployAsync(string name, int replicas, CancellationToken cancellationToken) =>
        _processes.FirstOrDefault(p => p.HasExited) is null
            ? _pipeline!.DeployAsync(name, replicas, cancellationToken)
            : throw new InvalidOperationException($"a Workers process exited; see the logs in {workDirectory}");

    public Task CleanAsync(string name, CancellationToken cancellationToken) => _pipeline!.DeleteAsync(name, cancellationToken);

    public async ValueTask DisposeAsync()
    {
        if (_observer is not null)
        {
            await _observer.DisposeAsync();
        }

        if (_client is not null)
        {
            using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(15));
            await _client.StopAsync(stop.Token);
            _client.Dispose();
        }

        foreach (var process in _processes)
        {
            await process.DisposeAsync();
        }

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await WorkersPipeline.RemoveLeftoversAsync(docker, _hostId, timeout.Token);
        if (_brokerContainer is not null)
        {
            await docker.Containers.RemoveContainerAsync(_brokerContainer, new ContainerRemoveParameters { Force = true }, timeout.Token);
        }
    }

    /// <summary>Runs the broker on a loopback port of Docker's choosing and waits until it accepts an AMQP login.</summary>
    private async Task<string> StartBrokerAsync(CancellationToken cancellationToken)
    {
        var password = Guid.NewGuid().ToString("N");
        var created = await docker.Containers.CreateContainerAsync(
            new CreateContainerParameters
            {
                Name = $"workers-bench-rabbitmq-{runId}",
                Image = RabbitMqImage,
                Env = ["RABBITMQ_DEFAULT_USER=bench", $"RABBITMQ_DEFAULT_PASS={password}"],
                Labels = new Dictionary<string, string>(StringComparer.Ordinal) { [Workload.RunLabel] = runId },
                ExposedPorts = new Dictionary<string, EmptyStruct>(StringComparer.Ordinal) { ["5672/tcp"] = default },
                HostConfig = new HostConfig
                {
                    PortBindings = new Dictionary<string, IList<PortBinding>>(StringComparer.Ordinal)
                    {
                        ["5672/tcp"] = [new PortBinding { HostIP = "127.0.0.1", HostPort = string.Empty }],
                    },
                },
            },
            cancellationToken);
        _brokerContainer = created.ID;
        await docker.Containers.StartContainerAsync(created.ID, new ContainerStartParameters(), cancellationToken);
        var inspected = await docker.Containers.InspectContainerAsync(created.ID, cancellationToken);
        var port = int.Parse(inspected.NetworkSettings!.Ports!["5672/tcp"][0].HostPort, CultureInfo.InvariantCulture);
        var factory = new ConnectionFactory { HostName = "127.0.0.1", Port = port, UserName = "bench", Password = password };
        var until = DateTimeOffset.UtcNow + TimeSpan.FromMinutes(2);
        while (true)
        {
            try
            {
                await using var connection = await factory.CreateConnectionAsync(cancellationToken);
                break;
            }
            catch (BrokerUnreachableException) when (DateTimeOffset.UtcNow < until)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(250), cancellationToken);
            }
        }

        return $"rabbitmq://bench:{password}@127.0.0.1:{port}/";
    }
}
