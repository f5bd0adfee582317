using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Workers.Functions.Bus;
using Workers.Functions.Handlers;
using Workers.Transport.ServiceBus;

namespace Workers.Functions.Azure.Tests;

public sealed class AzureTransportTests
{
    private static ServiceProvider Build(Dictionary<string, string?> settings)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var services = new ServiceCollection().AddLogging();
        services.AddSingleton<IConfiguration>(configuration);
        services.AddWorkersAzureTransport(configuration);
        return services.BuildServiceProvider();
    }

    [Fact]
    public async Task AddWorkersAzureTransport_ServiceBusBroker_DispatchesThroughTheServiceBusAdapter()
    {
        await using var services = Build(new()
        {
            ["WORKERS_BROKER"] = "servicebus://workers-test.servicebus.windows.net/",
            ["WORKERS_SERVICEBUS_CONNECTION"] = "Endpoint=sb://workers-test.servicebus.windows.net/;SharedAccessKeyName=test;SharedAccessKey=dGVzdA==",
        });

        Assert.IsType<ServiceBusEffectsDispatcher>(services.GetRequiredService<IEffectsDispatcher>());
    }

    [Fact]
    public async Task AddWorkersAzureTransport_RabbitMqBroker_DispatchesThroughMassTransit()
    {
        await using var services = Build(new() { ["WORKERS_BROKER"] = "rabbitmq://workers:secret@rabbit-host:5672/" });

        Assert.IsType<BusEffectsDispatcher>(services.GetRequiredService<IEffectsDispatcher>());
    }

    [Theory]
    [InlineData(null)]
    [InlineData("memory")]
    public void AddWorkersAzureTransport_NoBrokerOrInMemory_FailsAtStartSayingWhatToSet(string? broker)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["WORKERS_BROKER"] = broker }).Build();

        var error = Assert.Throws<InvalidOperationException>(() => new ServiceCollection().AddWorkersAzureTransport(configuration));

        Assert.Contains("servicebus://", error.Message, StringComparison.Ordinal);
    }
}
