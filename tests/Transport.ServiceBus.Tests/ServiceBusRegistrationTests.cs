using Azure.Messaging.ServiceBus;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Workers.Contracts.Messages;
using Workers.Transport.ServiceBus.Tests.Support;

namespace Workers.Transport.ServiceBus.Tests;

public sealed class ServiceBusRegistrationTests
{
    private const string Connection = "Endpoint=sb://workers-test.servicebus.windows.net/;SharedAccessKeyName=send;SharedAccessKey=c2VjcmV0";

    [Fact]
    public async Task AddWorkersServiceBusClient_ConnectionString_RegistersTheSettingsTheClientAndThePump()
    {
        var settings = new ServiceBusSettings("workers-test.servicebus.windows.net", Connection, topic: "flow");
        var services = new ServiceCollection().AddLogging();

        services.AddWorkersServiceBusClient(settings);
        await using var provider = services.BuildServiceProvider();

        Assert.Equal("workers-test.servicebus.windows.net", provider.GetRequiredService<ServiceBusClient>().FullyQualifiedNamespace);
        Assert.Same(settings, provider.GetRequiredService<ServiceBusSettings>());
        Assert.NotNull(provider.GetRequiredService<ServiceBusPump>());
    }

    [Fact]
    public void Assembly_AsTheAgentLoadsIt_ReferencesNothingOfTheFunctions()
    {
        // The agent is compiled ahead of time over this assembly: the control plane's handlers and store must not come with it.
        var references = typeof(ServiceBusRegistration).Assembly.GetReferencedAssemblies().Select(a => a.Name);

        Assert.DoesNotContain(references, name => name is not null && name.StartsWith("Workers.Functions", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("servicebus://ns.servicebus.windows.net/", null, true)]
    [InlineData("servicebus://ns.servicebus.windows.net", "Endpoint=sb://ns.servicebus.windows.net/;SharedAccessKeyName=a;SharedAccessKey=b", true)]
    [InlineData("servicebus://user:pw@ns.servicebus.windows.net/", null, false)]
    [InlineData("memory", null, false)]
    [InlineData(null, null, false)]
    public void TryRead_Broker_AcceptsOnlyAServiceBusNamespace(string? broker, string? connection, bool valid)
    {
        var settings = new Dictionary<string, string?> { ["WORKERS_BROKER"] = broker, ["WORKERS_SERVICEBUS_CONNECTION"] = connection };

        Assert.Equal(valid, ServiceBusSettings.TryRead(settings.GetValueOrDefault, out var read, out var problems));
        Assert.Equal(valid, problems.Count == 0);
        Assert.Equal(valid ? "ns.servicebus.windows.net" : null, read?.FullyQualifiedNamespace);
    }

    [Fact]
    public void TryRead_Defaults_TopicWorkersFiveDeliveriesAndDefaultAzureCredential()
    {
        Assert.True(ServiceBusSettings.TryRead(key => key == "WORKERS_BROKER" ? "servicebus://ns.servicebus.windows.net/" : null, out var settings, out _));

        Assert.Equal(("workers", 5, null), (settings.Topic, settings.MaxDeliveries, settings.ConnectionString));
    }

    [Fact]
    public async Task SubscriptionWorker_MessageArrives_GoesThroughThePumpAndIsCompletedOnTheReceiver()
    {
        var client = new FakeClient();
        var settings = new ServiceBusSettings("fake.servicebus.windows.net");
        var handled = new List<object>();
        await using var worker = new ServiceBusSubscriptionWorker(client, settings, new ServiceBusPump(settings, NullLogger<ServiceBusPump>.Instance), "host.host-a", (m, _, _) =>
        {
            handled.Add(m);
            return Task.CompletedTask;
        }, 1, NullLogger<ServiceBusSubscriptionWorker>.Instance);
        var receiver = new FakeReceiver();
        var stop = new StopReplicas(Guid.NewGuid(), Guid.NewGuid(), Messages.Now, "host-a", "web", 1, [0]);

        await worker.StartAsync(CancellationToken.None);
        var processor = Assert.Single(client.Processors);
        await processor.DeliverAsync(Messages.Received(ServiceBusEnvelope.Create(stop, "host-a")), receiver);
        await processor.DeliverAsync(Messages.Received("{", typeof(StopReplicas).FullName), receiver);
        await worker.StopAsync(CancellationToken.None);

        Assert.Equal(("workers", "host.host-a", 1), (processor.Topic, processor.Subscription, processor.Options.MaxConcurrentCalls));
        Assert.Equal(stop.MessageId, Assert.IsType<StopReplicas>(Assert.Single(handled)).MessageId);
        Assert.Single(receiver.Completed);
        Assert.Equal(DeadLetterReasons.MalformedBody, Assert.Single(receiver.DeadLettered).Reason);
        Assert.False(processor.Started);
    }
}
