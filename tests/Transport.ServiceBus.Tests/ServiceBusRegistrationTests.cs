using Azure.Messaging.ServiceBus;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging.Abstractions;
using Workers.Contracts.Messages;
using Workers.Functions.Handlers;
using Workers.Transport.ServiceBus.Tests.Support;

namespace Workers.Transport.ServiceBus.Tests;

public sealed class ServiceBusRegistrationTests
{
    private const string Connection = "Endpoint=sb://workers-test.servicebus.windows.net/;SharedAccessKeyName=send;SharedAccessKey=c2VjcmV0";

    private static IConfiguration Configuration(params (string Key, string Value)[] settings) =>
        new ConfigurationBuilder().AddInMemoryCollection(settings.Select(s => KeyValuePair.Create(s.Key, (string?)s.Value))).Build();

    [Fact]
    public async Task AddWorkersServiceBus_ConnectionString_MakesTheServiceBusDispatcherTheEffectsDispatcher()
    {
        var services = new ServiceCollection().AddLogging();
        services.AddSingleton<IEffectsDispatcher>(new NoDispatcher());

        services.AddWorkersServiceBus(Configuration(("WORKERS_BROKER", "servicebus://workers-test.servicebus.windows.net/"), ("WORKERS_SERVICEBUS_CONNECTION", Connection), ("WORKERS_SERVICEBUS_TOPIC", "flow")));
        await using var provider = services.BuildServiceProvider();

        Assert.IsType<ServiceBusEffectsDispatcher>(provider.GetRequiredService<IEffectsDispatcher>());
        Assert.Equal("workers-test.servicebus.windows.net", provider.GetRequiredService<ServiceBusClient>().FullyQualifiedNamespace);
        Assert.Equal("flow", provider.GetRequiredService<ServiceBusSettings>().Topic);
    }

    [Fact]
    public void AddWorkersServiceBus_BadSettings_ThrowsWithEveryProblemAndNoSecret()
    {
        var error = Assert.Throws<InvalidOperationException>(() => new ServiceCollection().AddWorkersServiceBus(Configuration(
            ("WORKERS_BROKER", "rabbitmq://workers:hunter2@rabbit:5672/"),
            ("WORKERS_SERVICEBUS_CONNECTION", "SharedAccessKey=hunter2"),
            ("WORKERS_SERVICEBUS_MAX_DELIVERIES", "0"))));

        Assert.Contains("WORKERS_BROKER", error.Message, StringComparison.Ordinal);
        Assert.Contains("WORKERS_SERVICEBUS_CONNECTION", error.Message, StringComparison.Ordinal);
        Assert.Contains("WORKERS_SERVICEBUS_MAX_DELIVERIES", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("hunter2", error.Message, StringComparison.Ordinal);
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
    public async Task AddWorkersServiceBusFunctions_HostStarts_ConsumesEveryFunctionSubscriptionWithoutAutoComplete()
    {
        var client = new FakeClient();
        var services = new ServiceCollection().AddLogging();
        services.AddSingleton<ServiceBusClient>(client);
        services.AddWorkersServiceBus(new ServiceBusSettings("fake.servicebus.windows.net", topic: "flow"));
        services.AddWorkersServiceBusFunctions(maxConcurrentCalls: 4);
        await using var provider = services.BuildServiceProvider();

        foreach (var worker in provider.GetServices<IHostedService>())
        {
            await worker.StartAsync(CancellationToken.None);
        }

        Assert.Equal(ServiceBusTopology.FunctionSubscriptions.Keys.Order(), client.Processors.Select(p => p.Subscription).Order());
        Assert.All(client.Processors, p => Assert.True(p.Started && p.Topic == "flow" && !p.Options.AutoCompleteMessages && p.Options.MaxConcurrentCalls == 4 && p.Options.ReceiveMode == ServiceBusReceiveMode.PeekLock));
    }

    [Fact]
    public async Task AddWorkersServiceBusFunctionsHost_HostStarts_ConsumesEveryFunctionSubscriptionDispatchesToTheTopicAndSweeps()
    {
        var client = new FakeClient();
        var services = new ServiceCollection().AddLogging();
        services.AddSingleton<ServiceBusClient>(client);
        services.AddSingleton(TimeProvider.System);
        services.AddWorkersServiceBusFunctionsHost(new ServiceBusSettings("fake.servicebus.windows.net"));
        await using var provider = services.BuildServiceProvider();

        foreach (var worker in provider.GetServices<IHostedService>().OfType<ServiceBusSubscriptionWorker>())
        {
            await worker.StartAsync(CancellationToken.None);
        }

        Assert.Equal(ServiceBusTopology.FunctionSubscriptions.Keys.Order(), client.Processors.Select(p => p.Subscription).Order());
        Assert.All(client.Processors, p => Assert.Equal(ServiceBusTopology.DefaultTopic, p.Topic));
        Assert.IsType<ServiceBusEffectsDispatcher>(provider.GetRequiredService<IEffectsDispatcher>());
        // The self-hosted sweep (the Azure Functions app has its timer function instead): registered, not started here.
        Assert.Contains(services, d => d.ServiceType == typeof(IHostedService) && d.ImplementationType?.Name == "SweepService");
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

    private sealed class NoDispatcher : IEffectsDispatcher
    {
        public Task DispatchAsync(Effects effects, CancellationToken cancellationToken) => throw new NotSupportedException();
    }
}
