using System.Text;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using RabbitMQ.Client;
using Workers.Contracts.Messages;
using Workers.HostAgent.Agent;
using Workers.Transport;

namespace Workers.HostAgent.Amqp.Tests;

/// <summary>
/// The lean agent beside the MassTransit agent (AddWorkersAgentConsumers and ConfigureAgentEndpoint, as
/// src/HostAgent runs it), both given a command that always fails and a message of a type neither handles: the
/// broker must hold the same queues, exchanges and bindings for both, and the same fault headers.
/// </summary>
[Collection(BrokerCollection.Name)]
public sealed class TopologyTests(BrokerFixture broker)
{
    [Fact]
    public async Task FailingAndUnknownCommands_LeanAgentAndMassTransitAgent_DeclareTheSameTopologyAndMoveAlike()
    {
        var id = Guid.NewGuid().ToString("N")[..8];
        var (massTransitHost, leanHost) = ($"mt{id}", $"ln{id}");
        await using var functions = await FunctionsBus.StartAsync(broker.Broker);
        await using var massTransitAgent = await StartMassTransitAgentAsync(massTransitHost);
        await using var leanAgent = await LeanAgent.StartAsync(broker.Broker, leanHost, new FakeEngine { Broken = true });

        foreach (var host in new[] { massTransitHost, leanHost })
        {
            var endpoint = await functions.HostAsync(host);
            await endpoint.Send(Commands.Stop(host, "web", 0));
            await endpoint.Send(new GetHosts(Guid.NewGuid(), Guid.NewGuid(), DateTimeOffset.UtcNow));
        }

        await Poll.UntilAsync(
            () => broker.RabbitMqCtlAsync("list_queues", "name", "messages"),
            queues => new[] { massTransitHost, leanHost }.All(host => queues.Contains($"host.{host}_error\t1", StringComparison.Ordinal) && queues.Contains($"host.{host}_skipped\t1", StringComparison.Ordinal)),
            TimeSpan.FromSeconds(90),
            "both agents' failed command in their error queue and unknown message in their skipped queue");

        Assert.Equal(await DeclaredAsync(massTransitHost), await DeclaredAsync(leanHost));
        var (massTransitFault, leanFault) = (await FirstAsync($"host.{massTransitHost}_error"), await FirstAsync($"host.{leanHost}_error"));
        Assert.Equal(HeaderNames(massTransitFault), HeaderNames(leanFault));
        foreach (var header in new[] { "MT-Reason", "MT-Fault-RetryCount", "MT-Fault-ExceptionType", "MT-Fault-Message", "MT-Fault-MessageType" })
        {
            Assert.Equal(Text(massTransitFault, header), Text(leanFault, header));
        }

        Assert.Equal(massTransitFault.BasicProperties.DeliveryMode, leanFault.BasicProperties.DeliveryMode);
        var (massTransitSkip, leanSkip) = (await FirstAsync($"host.{massTransitHost}_skipped"), await FirstAsync($"host.{leanHost}_skipped"));
        Assert.Equal(HeaderNames(massTransitSkip), HeaderNames(leanSkip));
        Assert.Equal(Text(massTransitSkip, "MT-Reason"), Text(leanSkip, "MT-Reason"));
    }

    private async Task<MassTransitAgent> StartMassTransitAgentAsync(string hostId)
    {
        var options = AgentServices.Options(hostId);
        var services = new ServiceCollection()
            .Handlers(options, new FakeEngine { Broken = true })
            .AddWorkersBus(broker.Broker, bus => bus.AddWorkersAgentConsumers(), (context, cfg) => cfg.ConfigureAgentEndpoint(context, options))
            .BuildServiceProvider();
        await services.GetRequiredService<IBusControl>().StartAsync(new CancellationTokenSource(TimeSpan.FromSeconds(60)).Token);
        return new MassTransitAgent(services);
    }

    /// <summary>Every queue, exchange and binding whose name holds the host id, with the host id taken out.</summary>
    private async Task<string> DeclaredAsync(string hostId)
    {
        var listings = new[]
        {
            await broker.RabbitMqCtlAsync("list_queues", "name", "durable", "auto_delete", "exclusive", "arguments"),
            await broker.RabbitMqCtlAsync("list_exchanges", "name", "type", "durable", "auto_delete", "internal", "arguments"),
            await broker.RabbitMqCtlAsync("list_bindings", "source_name", "source_kind", "destination_name", "destination_kind", "routing_key", "arguments"),
        };
        return string.Join("\n---\n", listings.Select(listing => string.Join('\n', listing.Split('\n').Where(line => line.Contains(hostId, StringComparison.Ordinal)).Select(line => line.Replace(hostId, "HOST", StringComparison.Ordinal)).Order(StringComparer.Ordinal))));
    }

    private async Task<BasicGetResult> FirstAsync(string queue)
    {
        await using var connection = await broker.Broker.ConnectAsync(broker.Broker.ConnectionFactory("topology-test"), CancellationToken.None);
        await using var channel = await connection.CreateChannelAsync();
        return await channel.BasicGetAsync(queue, autoAck: false) ?? throw new InvalidOperationException($"{queue} is empty");
    }

    /// <summary>The headers' names, but the client's sequence number and the MassTransit version the lean agent has not.</summary>
    private static string[] HeaderNames(BasicGetResult message) =>
        [.. (message.BasicProperties.Headers ?? new Dictionary<string, object?>()).Keys.Where(k => k is not ("x-dotnet-pub-seq-no" or "MT-Host-MassTransitVersion")).Order(StringComparer.Ordinal)];

    private static string? Text(BasicGetResult message, string header) =>
        message.BasicProperties.Headers?.TryGetValue(header, out var value) == true ? value is byte[] bytes ? Encoding.UTF8.GetString(bytes) : value?.ToString() : null;

    private sealed class MassTransitAgent(ServiceProvider services) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            await services.GetRequiredService<IBusControl>().StopAsync();
            await services.DisposeAsync();
        }
    }
}
