using Testcontainers.RabbitMq;
using Workers.Transport;

namespace Workers.HostAgent.Amqp.Tests;

/// <summary>One RabbitMQ container for the collection; tests isolate themselves with their own host ids.</summary>
public sealed class BrokerFixture : IAsyncLifetime
{
    private const string User = "workers";
    private const string Password = "workers-test";

    private readonly RabbitMqContainer _rabbit = new RabbitMqBuilder(TestImages.RabbitMq)
        .WithUsername(User)
        .WithPassword(Password)
        .WithLabel("workers-test", "hostagent-amqp")
        .Build();

    /// <summary>The broker as <c>WORKERS_BROKER</c> names it (valid after start; the mapped port survives a restart).</summary>
    public Broker Broker { get; private set; } = Broker.InMemory;

    public async Task InitializeAsync()
    {
        await TestBroker.StartAsync(_rabbit);

        Broker = Broker.Parse($"rabbitmq://{User}:{Password}@{_rabbit.Hostname}:{_rabbit.GetMappedPublicPort(5672)}/");
    }

    public Task DisposeAsync() => _rabbit.DisposeAsync().AsTask();

    /// <summary>Runs <c>rabbitmqctl</c> in the container and returns its standard output; fails the test on an error.</summary>
    public async Task<string> RabbitMqCtlAsync(params string[] arguments)
    {
        var result = await _rabbit.ExecAsync(["rabbitmqctl", "-q", .. arguments]);
        Assert.True(result.ExitCode == 0, $"rabbitmqctl {string.Join(' ', arguments)}: {result.Stderr}");
        return result.Stdout;
    }

    /// <summary>Freezes the broker (its processes paused): connections stay open and nothing answers.</summary>
    public Task PauseAsync() => _rabbit.PauseAsync();

    public Task UnpauseAsync() => _rabbit.UnpauseAsync();

    /// <summary>Restarts the broker process inside the container (the container, its port and its data stay).</summary>
    public async Task RestartAsync()
    {
        await RabbitMqCtlAsync("stop_app");
        await RabbitMqCtlAsync("start_app");
    }
}

[CollectionDefinition(Name)]
public sealed class BrokerCollection : ICollectionFixture<BrokerFixture>
{
    public const string Name = "broker";
}
