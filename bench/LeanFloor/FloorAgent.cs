using System.Diagnostics;
using System.Text.Json;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;
using Workers.Contracts.Messages;
using Workers.DockerEngine;
using Workers.Security;

namespace Workers.Bench.LeanFloor;

/// <summary>
/// An idle agent's work: consume its own quorum queue (acknowledging what comes), and every 5 s list the engine's
/// containers, sign a heartbeat of them and publish it with a publisher confirm, in MassTransit's envelope.
/// </summary>
internal sealed partial class FloorAgent(IConnection connection, AgentKeys keys, DockerEngineClient engine, ILogger<FloorAgent> logger) : BackgroundService
{
    private const string HostId = "lean-floor";
    private const string HeartbeatExchange = "Workers.Contracts.Messages:HostHeartbeat";

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await using var channel = await connection.CreateChannelAsync(new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true), stoppingToken);
        var quorum = new Dictionary<string, object?> { ["x-queue-type"] = "quorum" };
        await channel.QueueDeclareAsync($"host.{HostId}", durable: true, exclusive: false, autoDelete: false, arguments: quorum, cancellationToken: stoppingToken);
        await channel.ExchangeDeclareAsync(HeartbeatExchange, ExchangeType.Fanout, durable: true, cancellationToken: stoppingToken);
        await channel.QueueDeclareAsync("lean-floor.heartbeats", durable: true, exclusive: false, autoDelete: false, arguments: new Dictionary<string, object?> { ["x-queue-type"] = "quorum", ["x-max-length"] = 10 }, cancellationToken: stoppingToken);
        await channel.QueueBindAsync("lean-floor.heartbeats", HeartbeatExchange, string.Empty, cancellationToken: stoppingToken);
        await channel.BasicQosAsync(0, 16, false, stoppingToken);
        var commands = new AsyncEventingBasicConsumer(channel);
        commands.ReceivedAsync += (_, delivery) => channel.BasicAckAsync(delivery.DeliveryTag, false).AsTask();
        await channel.BasicConsumeAsync($"host.{HostId}", autoAck: false, commands, stoppingToken);

        var first = true;
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(5));
        do
        {
            var containers = await engine.ListContainersAsync(all: true, filters: null, stoppingToken);
            var now = DateTimeOffset.UtcNow;
            var heartbeat = keys.Signing.Sign(new HostHeartbeat(
                Guid.NewGuid(), Guid.NewGuid(), now, HostId, new Dictionary<string, string>(), "127.0.0.1", 2000, 1L << 33, 2000, 1L << 33,
                [.. containers.Select(c => new RunningReplica(c.Labels?.GetValueOrDefault("workers.name") ?? c.Id, 1, 0, c.Id, c.State == "running", DateTimeOffset.FromUnixTimeSeconds(c.Created)))],
                [],
                Identity: keys.Identity));
            var envelope = new Envelope(heartbeat.MessageId, heartbeat.CorrelationId, $"rabbitmq://{connection.Endpoint.HostName}/{HeartbeatExchange}", [$"urn:message:{HeartbeatExchange}"], heartbeat, now);
            var properties = new BasicProperties { ContentType = "application/vnd.masstransit+json", DeliveryMode = DeliveryModes.Persistent, MessageId = heartbeat.MessageId.ToString() };
            await channel.BasicPublishAsync(HeartbeatExchange, string.Empty, mandatory: true, properties, JsonSerializer.SerializeToUtf8Bytes(envelope, FloorJson.Default.Envelope), stoppingToken);
            if (first)
            {
                using var self = Process.GetCurrentProcess();
                FirstHeartbeat(logger, (DateTime.Now - self.StartTime).TotalMilliseconds, containers.Count);
                first = false;
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "first heartbeat confirmed {Milliseconds:F0} ms after the process started ({Containers} containers)")]
    private static partial void FirstHeartbeat(ILogger logger, double milliseconds, int containers);
}
