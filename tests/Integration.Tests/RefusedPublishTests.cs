using System.Collections.Concurrent;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using RabbitMQ.Client;
using Workers.Transport;

namespace Workers.Integration.Tests;

/// <summary>
/// A broker that keeps refusing a process's publishes (negative confirms): the process restarts its bus for new
/// connections and channels, and consumes and publishes again once the broker accepts. The refusal here comes from a
/// queue that takes nothing (<c>x-overflow: reject-publish</c>, length 0) bound beside the consumer's; in production it
/// came from RabbitMQ 3.10 refusing one channel for good after a quorum queue's leader node died.
/// </summary>
[Collection(PipelineCollection.Name)]
public sealed class RefusedPublishTests(PipelineFixture fixture)
{
    [Fact]
    public async Task PublishesTheBrokerKeepsRefusing_RestartTheBus_WhichDeliversAndConsumesOnceTheBrokerAccepts()
    {
        var suffix = Guid.NewGuid().ToString("N")[..8];
        var refusing = $"it-refuse-all-{suffix}";
        var exchange = $"{typeof(RefusalProbe).Namespace}:{nameof(RefusalProbe)}";
        await using var connection = await fixture.AdminBroker.ConnectionFactory("it-refused-publishes").CreateConnectionAsync();
        await using var channel = await connection.CreateChannelAsync();
        await channel.ExchangeDeclareAsync(exchange, ExchangeType.Fanout, durable: true);
        await channel.QueueDeclareAsync(refusing, durable: true, exclusive: false, autoDelete: false, arguments: new Dictionary<string, object?> { ["x-max-length"] = 0, ["x-overflow"] = "reject-publish" });
        await channel.QueueBindAsync(refusing, exchange, string.Empty);

        var consumed = new ConcurrentQueue<Guid>();
        var logs = new LogRecorder();
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Logging.ClearProviders().AddProvider(logs);
        builder.Services.AddWorkersBus(fixture.AdminBroker, _ => { }, (_, cfg) => cfg.ReceiveEndpoint($"it-refusal-probe-{suffix}", endpoint =>
        {
            endpoint.ApplyWorkersEndpointPolicy();
            endpoint.Handler<RefusalProbe>(context =>
            {
                consumed.Enqueue(context.Message.Id);
                return Task.CompletedTask;
            });
        })).WaitForTheBroker().ReconnectWhenPublishesAreRefused();
        using var host = builder.Build();
        await host.StartAsync();
        try
        {
            var bus = host.Services.GetRequiredService<IBus>();
            var reconnector = host.Services.GetRequiredService<BusReconnector>();

            // A publish every half second, each given up after a second, until the refusals restarted the bus.
            await Poll.UntilAsync(
                async () =>
                {
                    await PublishAsync(bus, Guid.NewGuid(), TimeSpan.FromSeconds(1), tolerateFailure: true);
                    return reconnector.Reconnects;
                },
                reconnects => reconnects >= 1,
                TimeSpan.FromSeconds(90),
                "a restart of the bus for refused publishes",
                TimeSpan.FromMilliseconds(500));
            Assert.Contains(logs.Lines, l => l.Contains("refused publishes for more than", StringComparison.Ordinal));
            Assert.Contains(logs.Lines, l => l.Contains("The bus restarted after refused publishes", StringComparison.Ordinal));

            // Once the broker accepts again, the restarted bus's publish is confirmed and its endpoint consumes it.
            await channel.QueueDeleteAsync(refusing);
            var accepted = Guid.NewGuid();
            await PublishAsync(bus, accepted, TimeSpan.FromSeconds(30), tolerateFailure: false);
            await Poll.UntilAsync(() => Task.FromResult(consumed.ToArray()), ids => ids.Contains(accepted), TimeSpan.FromSeconds(30), "the restarted bus consuming a probe published after the refusals ended");
        }
        finally
        {
            await host.StopAsync();
            await channel.ExchangeDeleteAsync(exchange);
        }
    }

    private static async Task PublishAsync(IBus bus, Guid id, TimeSpan bound, bool tolerateFailure)
    {
        try
        {
            await BrokerCalls.BoundedAsync(token => bus.Publish(new RefusalProbe(id), token), bound, CancellationToken.None);
        }
        catch (Exception e) when (tolerateFailure && e is TimeoutException or MassTransitException)
        {
            // Refused, or the bus is restarting: the next one goes out in half a second.
        }
    }
}
