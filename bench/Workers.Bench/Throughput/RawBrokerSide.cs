using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;

namespace Workers.Bench.Throughput;

/// <summary>
/// The load Workers put through the broker in one round, as the raw run repeats it: per deployment one request, one
/// accepted, <see cref="CommandsPerDeployment"/> start commands to host queues, one started and one healthy per replica
/// and one outcome; heartbeats at the hosts' rate alongside.
/// </summary>
internal sealed record RawShape(int Deployments, int Replicas, int CommandsPerDeployment, IReadOnlyList<string> HostsUsed, int AllHosts, double HeartbeatsPerSecond, int StageConcurrency, bool ThroughExchanges = false)
{
    public long PipelineMessages => Deployments * (3L + CommandsPerDeployment + (2L * Replicas));
}

/// <summary>What one raw broker round measured.</summary>
internal sealed record RawResult(bool Completed, double Seconds, long Messages, int Heartbeats, int Deployments, int Replicas)
{
    public double MessagesPerSecond => Messages / Seconds;

    public double ReplicasPerSecond => (double)Deployments * Replicas / Seconds;
}

/// <summary>
/// The ceiling: the same messages and hops with RabbitMQ.Client alone. Every queue is a durable quorum queue, every
/// message persistent and published with confirms (each publish awaits its confirm, as MassTransit's does), every
/// delivery acknowledged after the stage's publishes are confirmed. Stages as in Workers: validate publishes accepted;
/// plan sends the start commands; each host queue is read one message at a time (the agent's ConcurrentMessageLimit
/// 1) and publishes one started per replica, then one healthy per replica; track counts a deployment's healthy
/// replicas and publishes its outcome. Routing
/// is by the default exchange (MassTransit publishes through a message-type exchange bound to the queue's exchange;
/// <see cref="RawShape.ThroughExchanges"/>, <c>--raw-through-exchanges</c>, routes that way too),
/// and no stage does any work of its own: this is what the broker allows, not what a handler costs.
/// </summary>
internal static class RawBrokerSide
{
    private const string Prefix = "bench.raw.";

    public static async Task<RawResult> RunAsync(Uri amqp, RawShape shape, RawBodies bodies, CancellationToken cancellationToken)
    {
        var functions = await ConnectAsync(amqp, "bench-raw-functions", cancellationToken);
        var harness = await ConnectAsync(amqp, "bench-raw-hosts", cancellationToken);
        var channels = new List<IChannel>();
        try
        {
            var hostQueues = shape.HostsUsed.Select(h => Prefix + "host." + h).ToList();
            string[] queues = [Prefix + "validate", Prefix + "plan", Prefix + "track", Prefix + "inventory", Prefix + "outcomes", .. hostQueues];
            await using (var setup = await functions.CreateChannelAsync(cancellationToken: cancellationToken))
            {
                foreach (var queue in queues)
                {
                    await setup.QueueDeclareAsync(queue, durable: true, exclusive: false, autoDelete: false, new Dictionary<string, object?> { ["x-queue-type"] = "quorum" }, cancellationToken: cancellationToken);
                    await setup.QueuePurgeAsync(queue, cancellationToken);
                    if (shape.ThroughExchanges)
                    {
                        // As MassTransit lays it out: the queue's own fanout exchange, and for a queue that is published
                        // to, a message-type exchange bound to it.
                        await setup.ExchangeDeclareAsync(queue, ExchangeType.Fanout, durable: true, cancellationToken: cancellationToken);
                        await setup.QueueBindAsync(queue, queue, string.Empty, cancellationToken: cancellationToken);
                        if (!IsHostQueue(queue))
                        {
                            await setup.ExchangeDeclareAsync(TypeExchange(queue), ExchangeType.Fanout, durable: true, cancellationToken: cancellationToken);
                            await setup.ExchangeBindAsync(queue, TypeExchange(queue), string.Empty, cancellationToken: cancellationToken);
                        }
                    }
                }
            }

            Task PublishAsync(IChannel channel, string queue, string deployment, int replicas, byte[] body, CancellationToken token, bool healthy = false) =>
                RawBrokerSide.PublishAsync(channel, queue, deployment, replicas, body, token, healthy, ExchangeFor(shape, queue));

            async Task<IChannel> Channel(IConnection connection, ushort concurrency)
            {
                var channel = await connection.CreateChannelAsync(new CreateChannelOptions(true, true, consumerDispatchConcurrency: concurrency), cancellationToken);
                channels.Add(channel);
                return channel;
            }

            var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var outcomes = 0;
            var heartbeatsConsumed = 0;
            var replicasSeen = new ConcurrentDictionary<string, int>(StringComparer.Ordinal);
            var stage = (ushort)shape.StageConcurrency;

            await ConsumeAsync(await Channel(functions, stage), Prefix + "validate", stage, async (channel, delivery) =>
                await PublishAsync(channel, Prefix + "plan", delivery.BasicProperties.CorrelationId!, 0, bodies.Accepted, cancellationToken));
            await ConsumeAsync(await Channel(functions, stage), Prefix + "plan", stage, async (channel, delivery) =>
            {
                var deployment = delivery.BasicProperties.CorrelationId!;
                var number = int.Parse(deployment, CultureInfo.InvariantCulture);
                for (var c = 0; c < shape.CommandsPerDeployment; c++)
                {
                    var replicas = shape.Replicas / shape.CommandsPerDeployment + (c < shape.Replicas % shape.CommandsPerDeployment ? 1 : 0);
                    var host = hostQueues[(number * shape.CommandsPerDeployment + c) % hostQueues.Count];
                    await PublishAsync(channel, host, deployment, replicas, bodies.Start, cancellationToken);
                }
            });
            foreach (var host in hostQueues)
            {
                await ConsumeAsync(await Channel(harness, 1), host, 1, async (channel, delivery) =>
                {
                    var replicas = Convert.ToInt32(delivery.BasicProperties.Headers!["replicas"], CultureInfo.InvariantCulture);
                    for (var r = 0; r < replicas; r++)
                    {
                        await PublishAsync(channel, Prefix + "track", delivery.BasicProperties.CorrelationId!, 0, bodies.Started, cancellationToken);
                    }

                    for (var r = 0; r < replicas; r++)
                    {
                        await PublishAsync(channel, Prefix + "track", delivery.BasicProperties.CorrelationId!, 0, bodies.Healthy, cancellationToken, healthy: true);
                    }
                });
            }

            await ConsumeAsync(await Channel(functions, stage), Prefix + "track", stage, async (channel, delivery) =>
            {
                var deployment = delivery.BasicProperties.CorrelationId!;
                if (delivery.BasicProperties.Type == "healthy" && replicasSeen.AddOrUpdate(deployment, 1, (_, n) => n + 1) == shape.Replicas)
                {
                    await PublishAsync(channel, Prefix + "outcomes", deployment, 0, bodies.Succeeded, cancellationToken);
                }
            });
            await ConsumeAsync(await Channel(functions, stage), Prefix + "inventory", stage, (_, _) =>
            {
                Interlocked.Increment(ref heartbeatsConsumed);
                return Task.CompletedTask;
            });
            var last = 0L;
            await ConsumeAsync(await Channel(harness, stage), Prefix + "outcomes", stage, (_, _) =>
            {
                Interlocked.Exchange(ref last, Stopwatch.GetTimestamp());
                if (Interlocked.Increment(ref outcomes) == shape.Deployments)
                {
                    done.TrySetResult();
                }

                return Task.CompletedTask;
            });

            var requester = await Channel(harness, 1);
            var beater = await Channel(harness, 1);
            using var stopBeats = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            var heartbeatsSent = 0;
            var start = Stopwatch.GetTimestamp();
            var beating = Task.Run(() => HeartbeatAsync(beater, shape, bodies, ExchangeFor(shape, Prefix + "inventory"), () => Interlocked.Increment(ref heartbeatsSent), stopBeats.Token), cancellationToken);
            await Parallel.ForEachAsync(
                Enumerable.Range(0, shape.Deployments),
                new ParallelOptions { MaxDegreeOfParallelism = 32, CancellationToken = cancellationToken },
                async (d, token) => await PublishAsync(requester, Prefix + "validate", d.ToString(CultureInfo.InvariantCulture), 0, bodies.Requested, token));
            var deadline = TimeSpan.FromSeconds(60) + TimeSpan.FromMilliseconds(20) * shape.Deployments * shape.Replicas;
            var completed = await done.Task.WaitAsync(deadline, cancellationToken).ContinueWith(t => t.IsCompletedSuccessfully, TaskScheduler.Default);
            var end = completed ? Interlocked.Read(ref last) : Stopwatch.GetTimestamp();
            await stopBeats.CancelAsync();
            await beating;
            var beats = Volatile.Read(ref heartbeatsSent);
            return new RawResult(completed, Stopwatch.GetElapsedTime(start, end).TotalSeconds, shape.PipelineMessages + beats, beats, Volatile.Read(ref outcomes), shape.Replicas);
        }
        finally
        {
            foreach (var channel in channels)
            {
                await channel.DisposeAsync();
            }

            await functions.DisposeAsync();
            await harness.DisposeAsync();
        }
    }

    private static async Task<IConnection> ConnectAsync(Uri amqp, string name, CancellationToken cancellationToken) =>
        await new ConnectionFactory { Uri = amqp, ClientProvidedName = name }.CreateConnectionAsync(cancellationToken);

    private static async Task ConsumeAsync(IChannel channel, string queue, ushort prefetch, Func<IChannel, BasicDeliverEventArgs, Task> handle)
    {
        await channel.BasicQosAsync(0, prefetch, false);
        var consumer = new AsyncEventingBasicConsumer(channel);
        consumer.ReceivedAsync += async (_, delivery) =>
        {
            await handle(channel, delivery);
            await channel.BasicAckAsync(delivery.DeliveryTag, multiple: false);
        };
        await channel.BasicConsumeAsync(queue, autoAck: false, consumer);
    }

    /// <summary>The message-type exchange that stands for what is published to <paramref name="queue"/>.</summary>
    private static string TypeExchange(string queue) => queue + ".type";

    /// <summary>A host's queue: MassTransit sends to it (through its own exchange) rather than publishing.</summary>
    private static bool IsHostQueue(string queue) => queue.StartsWith(Prefix + "host.", StringComparison.Ordinal);

    /// <summary>
    /// Where a message for <paramref name="queue"/> goes in: null for the default exchange (straight to the queue), or
    /// with <see cref="RawShape.ThroughExchanges"/> a host queue's own exchange (a send) or the message-type exchange
    /// bound to the queue's (a publish).
    /// </summary>
    private static string? ExchangeFor(RawShape shape, string queue) =>
        !shape.ThroughExchanges ? null : IsHostQueue(queue) ? queue : TypeExchange(queue);

    /// <summary>Straight to <paramref name="queue"/> by the default exchange, or through <paramref name="exchange"/> when given.</summary>
    private static async Task PublishAsync(IChannel channel, string queue, string deployment, int replicas, byte[] body, CancellationToken cancellationToken, bool healthy, string? exchange)
    {
        var properties = new BasicProperties
        {
            Persistent = true,
            CorrelationId = deployment,
            MessageId = Guid.NewGuid().ToString(),
            ContentType = "application/vnd.masstransit+json",
            Type = healthy ? "healthy" : null,
            Headers = replicas > 0 ? new Dictionary<string, object?> { ["replicas"] = replicas } : null,
        };
        await channel.BasicPublishAsync(exchange ?? string.Empty, exchange is null ? queue : string.Empty, mandatory: false, properties, body, cancellationToken);
    }

    /// <summary>Heartbeats at the rate the simulated hosts send them, busy hosts' as large as theirs, until cancelled.</summary>
    private static async Task HeartbeatAsync(IChannel channel, RawShape shape, RawBodies bodies, string? exchange, Action sent, CancellationToken cancellationToken)
    {
        var slot = TimeSpan.FromSeconds(1 / shape.HeartbeatsPerSecond);
        var next = Stopwatch.GetTimestamp();
        try
        {
            for (var i = 0; !cancellationToken.IsCancellationRequested; i++)
            {
                var busy = i % shape.AllHosts < shape.HostsUsed.Count;
                await PublishAsync(channel, Prefix + "inventory", "heartbeat", 0, busy ? bodies.HeartbeatBusy : bodies.HeartbeatIdle, cancellationToken, healthy: false, exchange);
                sent();
                next += (long)(slot.TotalSeconds * Stopwatch.Frequency);
                var wait = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), next);
                if (wait > TimeSpan.Zero)
                {
                    await Task.Delay(wait, cancellationToken);
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The round is over.
        }
    }
}
