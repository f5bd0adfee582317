using Azure.Messaging.ServiceBus;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Workers.Functions.Handlers;
using Workers.Transport.ServiceBus;
using Workers.Transport.ServiceBus.Tests.Support;

namespace Workers.Functions.ServiceBus.Tests;

public sealed class ServiceBusFunctionsRegistrationTests
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

    private sealed class NoDispatcher : IEffectsDispatcher
    {
        public Task DispatchAsync(Effects effects, CancellationToken cancellationToken) => throw new NotSupportedException();
    }
}
