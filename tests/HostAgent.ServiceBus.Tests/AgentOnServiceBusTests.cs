using Azure.Messaging.ServiceBus;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Time.Testing;
using Workers.Contracts.Messages;
using Workers.Contracts.Spec;
using Workers.HostAgent.Agent;
using Workers.HostAgent.Runtime;
using Workers.HostAgent.Tests.Support;
using Workers.Security;
using Workers.Transport.ServiceBus;
using Workers.Transport.ServiceBus.Tests.Support;

namespace Workers.HostAgent.ServiceBus.Tests;

/// <summary>
/// The agent as its executable registers it on Service Bus, with the SDK's client, processor, sender and receiver faked
/// (no namespace or emulator can run here) and the container engine in memory: commands are delivered through the
/// processor's own event path, settled on the receiver, and what the agent publishes is read off the topic's sender.
/// </summary>
public sealed class AgentOnServiceBusTests : IAsyncLifetime
{
    private static readonly AgentOptions Options = new(HostId.From("host-a"), new Dictionary<string, string>(), "127.0.0.1", TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(1))
    {
        Keys = TestKeys.Agent,
        ControlKeys = TestKeys.Trusted,
    };

    private static readonly DeploymentSpec Spec = SpecParser.Parse("name: web\nimage: workers-test/httpd:1\nreplicas: 2\n", "web.yaml").Spec!;

    private readonly FakeClient _client = new();
    private readonly FakeReceiver _receiver = new();
    private readonly FakeRuntime _runtime = new() { Start = launch => new ContainerStarted("id-" + launch.Name, [], AlreadyRunning: false) };
    private readonly FakeTimeProvider _time = new(Messages.Now);
    private ServiceProvider _provider = null!;
    private List<IHostedService> _started = [];

    private IReadOnlyList<ServiceBusMessage> Published => _client.Senders.TryGetValue(ServiceBusTopology.DefaultTopic, out var topic) ? topic.Sent : [];

    public async Task InitializeAsync()
    {
        var services = new ServiceCollection().AddLogging();
        services.AddSingleton<ServiceBusClient>(_client);
        services.AddSingleton<IContainerRuntime>(_runtime);
        services.AddSingleton<TimeProvider>(_time);
        services.AddWorkersAgentServiceBus(new ServiceBusSettings("fake.servicebus.windows.net"), Options);
        services.AddWorkersAgent(Options);
        _provider = services.BuildServiceProvider(validateScopes: true);

        // Only the subscription's worker: the heartbeats and the health checks have tests of their own.
        _started = [.. _provider.GetServices<IHostedService>().OfType<ServiceBusSubscriptionWorker>()];
        foreach (var worker in _started)
        {
            await worker.StartAsync(CancellationToken.None);
        }
    }

    public async Task DisposeAsync()
    {
        foreach (var worker in _started)
        {
            await worker.StopAsync(CancellationToken.None);
        }

        await _provider.DisposeAsync();
    }

    [Fact]
    public void Agent_Starts_ReadsOnlyItsOwnSubscriptionOneMessageAtATime()
    {
        var processor = Assert.Single(_client.Processors);

        Assert.Equal((ServiceBusTopology.DefaultTopic, "host.host-a"), (processor.Topic, processor.Subscription));
        Assert.Equal((1, false, ServiceBusReceiveMode.PeekLock), (processor.Options.MaxConcurrentCalls, processor.Options.AutoCompleteMessages, processor.Options.ReceiveMode));
        Assert.True(processor.Started);
        // The agent holds none of the control plane's keys: it cannot sign a command to another host.
        Assert.Null(_provider.GetService<SigningKey>());
        Assert.IsType<ServiceBusAgentPublisher>(_provider.GetRequiredService<IAgentPublisher>());
    }

    [Fact]
    public async Task Subscription_StartForThisHost_StartsEachReplicaAndPublishesItsResultToTheTopic()
    {
        var start = TestKeys.Control.Sign(Start("host-a"));

        await DeliverAsync(ServiceBusEnvelope.Create(start, "host-a"));

        Assert.Single(_receiver.Completed);
        Assert.Equal(2, _runtime.Launches.Count);
        Assert.Equal(2, Published.Count);
        Assert.All(Published, sent =>
        {
            Assert.Equal(("ReplicaStarted", typeof(ReplicaStarted).FullName, "application/json"), (sent.Subject, sent.ApplicationProperties[ServiceBusTopology.MessageTypeProperty], sent.ContentType));
            Assert.Equal(start.CorrelationId.ToString("D"), sent.CorrelationId);
            // For the functions' track subscription, not for a host's.
            Assert.False(sent.ApplicationProperties.ContainsKey(ServiceBusTopology.HostIdProperty));
        });
        var started = Published.Select(Read<ReplicaStarted>).OrderBy(r => r.Index).ToList();
        Assert.Equal([0, 1], started.Select(r => r.Index));
        Assert.All(started, r => Assert.Equal("host-a", r.HostId));
        Assert.All(started, r => Assert.NotNull(r.Signature));
    }

    [Fact]
    public async Task Subscription_StopForThisHost_RemovesTheContainerAndPublishesReplicaStopped()
    {
        _runtime.Containers = [FakeRuntime.Replica("c1", "host-a", _time.GetUtcNow() - TimeSpan.FromMinutes(1))];
        var stop = TestKeys.Control.Sign(new StopReplicas(Guid.NewGuid(), Guid.NewGuid(), _time.GetUtcNow(), "host-a", "web", 1, [0]));

        await DeliverAsync(ServiceBusEnvelope.Create(stop, "host-a"));

        Assert.Single(_receiver.Completed);
        Assert.Single(_runtime.Removals);
        var stopped = Read<ReplicaStopped>(Assert.Single(Published));
        Assert.Equal((stop.CorrelationId, "web", 0), (stopped.CorrelationId, stopped.Name, stopped.Index));
    }

    [Fact]
    public async Task Subscription_AnotherHostsCommandDeliveredAnyway_IsNeitherCarriedOutNorAnswered()
    {
        // What a wrong subscription filter would let through: signed, but for host-b.
        var start = TestKeys.Control.Sign(Start("host-b"));

        await DeliverAsync(ServiceBusEnvelope.Create(start, "host-b"));

        Assert.Empty(_runtime.Launches);
        Assert.Empty(Published);
        Assert.Single(_receiver.Completed);
    }

    [Fact]
    public async Task Subscription_ResultCannotBePublished_TheCommandIsAbandonedForAnotherDelivery()
    {
        ((FakeSender)_client.CreateSender(ServiceBusTopology.DefaultTopic)).FailFrom = 0;

        await DeliverAsync(ServiceBusEnvelope.Create(TestKeys.Control.Sign(Start("host-a")), "host-a"));

        Assert.Empty(_receiver.Completed);
        Assert.Equal(typeof(ServiceBusException).FullName, Assert.Single(_receiver.Abandoned).Properties![ServiceBusTopology.LastErrorProperty]);
    }

    [Fact]
    public async Task Subscription_LogsRequest_IsDeadLetteredAsNotHandledHere()
    {
        var read = TestKeys.Control.Sign(new ReadContainerLogs(Guid.NewGuid(), Guid.NewGuid(), _time.GetUtcNow(), "host-a", "web", 1, 0, "c1", 100, null, null, _time.GetUtcNow() + TimeSpan.FromMinutes(1)));

        await DeliverAsync(ServiceBusEnvelope.Create(read, "host-a"));

        Assert.Equal(DeadLetterReasons.NoHandler, Assert.Single(_receiver.DeadLettered).Reason);
        Assert.Empty(Published);
    }

    private Task DeliverAsync(ServiceBusMessage sent) => Assert.Single(_client.Processors).DeliverAsync(Messages.Received(sent), _receiver);

    private static T Read<T>(ServiceBusMessage sent) => Assert.IsType<T>(ServiceBusEnvelope.Read(Messages.Received(sent)).Message);

    private StartReplicas Start(string hostId) =>
        new(Guid.NewGuid(), Guid.NewGuid(), _time.GetUtcNow(), hostId, 1, _time.GetUtcNow() + TimeSpan.FromMinutes(1), Spec, [new ReplicaAssignment(0, []), new ReplicaAssignment(1, [])]);
}
