using System.Collections.Concurrent;
using System.Text.Json;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Workers.Contracts.Messages;
using Workers.Contracts.Spec;
using Workers.HostAgent.Agent;
using Workers.HostAgent.Runtime;
using Workers.Security;
using Workers.Transport;

namespace Workers.HostAgent.Amqp.Tests;

/// <summary>Keys: the control plane's (commands are signed with it) and an agent's own.</summary>
internal static class TestKeys
{
    public static SigningKey Control { get; } = SigningKey.Generate();

    public static TrustedKeys Trusted { get; } = new([Control.PublicKey]);

    public static AgentKeys Agent { get; } = AgentKeys.Generate();
}

/// <summary>Commands as the functions make them, signed.</summary>
internal static class Commands
{
    public static DeploymentSpec Spec(string name) => SpecParser.Parse($"name: {name}\nimage: workers-test/httpd:1\nreplicas: 1\n", $"{name}.yaml").Spec!;

    public static StartReplicas Start(string hostId, string name) =>
        TestKeys.Control.Sign(new StartReplicas(Guid.NewGuid(), Guid.NewGuid(), DateTimeOffset.UtcNow, hostId, 1, DateTimeOffset.UtcNow.AddMinutes(5), Spec(name), [new ReplicaAssignment(0, [])]));

    public static StopReplicas Stop(string hostId, string name, int index) =>
        TestKeys.Control.Sign(new StopReplicas(Guid.NewGuid(), Guid.NewGuid(), DateTimeOffset.UtcNow, hostId, name, 1, [index]));

    /// <summary>The JSON MassTransit's options write for <paramref name="message"/>: equal JSON, equal message (lists compare by reference in records).</summary>
    public static string Json(object message) => JsonSerializer.Serialize(WireTypes.Of(message).Write(message));
}

/// <summary>
/// An engine in memory: starts whatever it is asked to (recording the launch), removes containers (those named with
/// <see cref="Gated"/> only once released), reads logs, and throws on every call when <see cref="Broken"/>.
/// </summary>
internal sealed class FakeEngine : IContainerRuntime
{
    private readonly TaskCompletionSource _gate = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public string? Gated { get; init; }

    public bool Broken { get; init; }

    public ConcurrentQueue<ContainerLaunch> Launches { get; } = new();

    public ConcurrentQueue<string> Removals { get; } = new();

    public ConcurrentQueue<string> LogReads { get; } = new();

    /// <summary>What a listing finds (filtered by the labels asked for).</summary>
    public IReadOnlyList<ManagedContainer> Containers { get; init; } = [];

    public void Release() => _gate.TrySetResult();

    public Task<StartOutcome> EnsureRunningAsync(ContainerLaunch launch, CancellationToken cancellationToken)
    {
        Fail();
        Launches.Enqueue(launch);
        return Task.FromResult<StartOutcome>(new ContainerStarted($"c-{launch.Name}", [], AlreadyRunning: false));
    }

    public async Task<bool> RemoveAsync(string name, TimeSpan stopGrace, CancellationToken cancellationToken)
    {
        Fail();
        Removals.Enqueue(name);
        if (Gated is { } gated && name.StartsWith(gated, StringComparison.Ordinal))
        {
            await _gate.Task.WaitAsync(cancellationToken);
        }

        return true;
    }

    public Task<ContainerLogs?> ReadLogsAsync(string containerId, LogsRead read, CancellationToken cancellationToken)
    {
        Fail();
        LogReads.Enqueue(containerId);
        return Task.FromResult<ContainerLogs?>(new ContainerLogs([new LogLine(DateTimeOffset.UtcNow, "stdout", $"hello from {containerId}")], null, false, true));
    }

    public Task<RuntimeCapacity> GetCapacityAsync(CancellationToken cancellationToken) => Task.FromResult(new RuntimeCapacity(2000, 4L << 30));

    public Task<IReadOnlyList<ManagedContainer>> ListAsync(IReadOnlyDictionary<string, string> labels, CancellationToken cancellationToken)
    {
        Fail();
        return Task.FromResult<IReadOnlyList<ManagedContainer>>([.. Containers.Where(c => labels.All(l => c.Labels.GetValueOrDefault(l.Key) == l.Value))]);
    }

    public Task<ExecResult> ExecAsync(string containerId, IReadOnlyList<string> command, TimeSpan timeout, CancellationToken cancellationToken) => throw new NotSupportedException();

    public Task WatchExitsAsync(IReadOnlyDictionary<string, string> labels, Func<string, Task> onExit, CancellationToken cancellationToken) => throw new NotSupportedException();

    public Task<bool> StopAsync(string nameOrId, TimeSpan stopGrace, CancellationToken cancellationToken) => throw new NotSupportedException();

    private void Fail()
    {
        if (Broken)
        {
            throw new InvalidOperationException("the engine is broken");
        }
    }
}

/// <summary>The agent's services the handlers need, on a fake engine, without heartbeats or Docker events.</summary>
internal static class AgentServices
{
    public static AgentOptions Options(string hostId) =>
        new(HostId.From(hostId), new Dictionary<string, string>(), "127.0.0.1", TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(1)) { Keys = TestKeys.Agent, ControlKeys = TestKeys.Trusted };

    public static IServiceCollection Handlers(this IServiceCollection services, AgentOptions options, IContainerRuntime engine) => services
        .AddLogging(logging => logging.SetMinimumLevel(LogLevel.Warning))
        .AddSingleton(options)
        .AddSingleton(TimeProvider.System)
        .AddSingleton(engine)
        .AddSingleton<HealthProbes>()
        .AddSingleton<HealthMonitor>()
        .AddScoped<ReplicaCommandHandler>()
        .AddScoped<ContainerLogsHandler>();
}

/// <summary>The lean agent of one host: its pump started and consuming, its publisher.</summary>
internal sealed class LeanAgent : IAsyncDisposable
{
    private readonly ServiceProvider _services;

    private LeanAgent(ServiceProvider services) => _services = services;

    public AgentCommandPump Pump => _services.GetRequiredService<AgentCommandPump>();

    public IAgentPublisher Publisher => _services.GetRequiredService<IAgentPublisher>();

    public static async Task<LeanAgent> StartAsync(Broker broker, string hostId, IContainerRuntime engine)
    {
        var options = AgentServices.Options(hostId);
        var services = new ServiceCollection().Handlers(options, engine).AddWorkersAgentAmqp(broker, options).BuildServiceProvider(validateScopes: true);
        var agent = new LeanAgent(services);
        await agent.Pump.StartAsync(CancellationToken.None);
        await agent.Pump.Consuming.WaitAsync(TimeSpan.FromSeconds(30));
        return agent;
    }

    public async ValueTask DisposeAsync()
    {
        await Pump.StopAsync(CancellationToken.None);
        await _services.DisposeAsync();
    }
}

/// <summary>
/// A MassTransit bus configured as the functions configure theirs (<see cref="TransportExtensions.AddWorkersBus"/>),
/// with one queue of its own that consumes what the agent publishes.
/// </summary>
internal sealed class FunctionsBus : IAsyncDisposable
{
    private readonly ServiceProvider _services;

    private FunctionsBus(ServiceProvider services) => _services = services;

    public IBusControl Bus => _services.GetRequiredService<IBusControl>();

    public ConcurrentQueue<ConsumeContext> Consumed { get; } = new();

    public static async Task<FunctionsBus> StartAsync(Broker broker, Action<IBusRegistrationConfigurator>? register = null, Action<IBusRegistrationContext, IRabbitMqBusFactoryConfigurator>? configure = null)
    {
        FunctionsBus? bus = null;
        var services = new ServiceCollection()
            .AddLogging()
            .AddWorkersBus(
                broker,
                r => register?.Invoke(r),
                (context, cfg) =>
                {
                    cfg.ReceiveEndpoint($"functions-test-{Guid.NewGuid():N}", endpoint =>
                    {
                        endpoint.ApplyWorkersEndpointPolicy();
                        endpoint.Handler<ReplicaStarted>(c => bus!.Keep(c));
                        endpoint.Handler<ReplicaStopped>(c => bus!.Keep(c));
                        endpoint.Handler<ReplicaFailed>(c => bus!.Keep(c));
                        endpoint.Handler<HostHeartbeat>(c => bus!.Keep(c));
                    });
                    if (cfg is IRabbitMqBusFactoryConfigurator rabbit)
                    {
                        configure?.Invoke(context, rabbit);
                    }
                })
            .BuildServiceProvider();
        bus = new FunctionsBus(services);
        await bus.Bus.StartAsync(new CancellationTokenSource(TimeSpan.FromSeconds(60)).Token);
        return bus;
    }

    private Task Keep(ConsumeContext context)
    {
        Consumed.Enqueue(context);
        return Task.CompletedTask;
    }

    public Task<ISendEndpoint> HostAsync(string hostId) => Bus.GetSendEndpoint(Queues.HostAddress(Bus.Address, hostId));

    /// <summary>The first consumed message of type <typeparamref name="T"/> that <paramref name="match"/> picks, within 60 s.</summary>
    public async Task<ConsumeContext<T>> ConsumedAsync<T>(Func<T, bool> match)
        where T : class
    {
        var found = await Poll.UntilAsync(
            () => Task.FromResult(Consumed.OfType<ConsumeContext<T>>().FirstOrDefault(c => match(c.Message))),
            c => c is not null,
            TimeSpan.FromSeconds(60),
            $"a {typeof(T).Name} consumed by MassTransit");
        return found!;
    }

    public async ValueTask DisposeAsync()
    {
        await Bus.StopAsync();
        await _services.DisposeAsync();
    }
}
