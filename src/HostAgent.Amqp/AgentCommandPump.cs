using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Threading.Channels;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;
using RabbitMQ.Client.Exceptions;
using Workers.Contracts.Messages;
using Workers.HostAgent.Agent;
using Workers.Telemetry;

namespace Workers.HostAgent.Amqp;

/// <summary>
/// Consumes <c>host.&lt;id&gt;</c> as <c>ConfigureAgentEndpoint</c> has MassTransit consume it: prefetch 16, at most 8
/// commands at once, one deployment's commands one at a time and in order (partitioned by deployment name; a logs
/// request, which MassTransit does not partition, runs beside them), each retried in process with MassTransit's
/// back-off and, when it still fails, moved to <c>host.&lt;id&gt;_error</c> with MassTransit's fault headers. A message
/// of no type the agent handles goes to <c>host.&lt;id&gt;_skipped</c>. A message is acknowledged once handled or moved;
/// one in hand when the agent stops or the connection drops is delivered again (the handlers are idempotent).
/// </summary>
public sealed class AgentCommandPump(
    AmqpAgentConnection connection,
    AmqpAgentPublisher publisher,
    AmqpCommandRouter router,
    AgentOptions options,
    ILogger<AgentCommandPump> logger) : BackgroundService
{
    public const ushort PrefetchCount = 2 * AgentRegistration.CommandPartitions;

    private readonly SemaphoreSlim _running = new(AgentRegistration.CommandPartitions, AgentRegistration.CommandPartitions);
    private readonly TaskCompletionSource _consuming = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Channel<Func<Task>>[] _partitions = [.. Enumerable.Range(0, AgentRegistration.CommandPartitions).Select(_ => Channel.CreateUnbounded<Func<Task>>(new UnboundedChannelOptions { SingleReader = true }))];
    private readonly Channel<Func<Task>> _unpartitioned = Channel.CreateUnbounded<Func<Task>>();
    private IChannel? _channel;

    // Bumped whenever the consuming channel shuts down (a lost connection, a broker restart): the broker then puts
    // every delivery not yet acknowledged on it back on the queue, to be delivered again once the connection is back.
    private int _generation;
    private int _handedBack;
    private CancellationToken _stopping;

    private string Queue => AgentTopology.Queue(options.HostId.Value);

    /// <summary>How many commands were handed back to the broker by a lost connection (tests wait on it).</summary>
    internal int HandedBack => Volatile.Read(ref _handedBack);

    /// <summary>Completes once the queue is declared and consumed.</summary>
    public Task Consuming => _consuming.Task;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        _stopping = stoppingToken;
        var amqp = await connection.GetAsync(stoppingToken);
        var channel = _channel = await amqp.CreateChannelAsync(cancellationToken: stoppingToken);
        await AgentTopology.DeclareQueueAsync(channel, Queue, stoppingToken);
        channel.ChannelShutdownAsync += (_, _) =>
        {
            Interlocked.Increment(ref _generation);
            return Task.CompletedTask;
        };
        await channel.BasicQosAsync(0, PrefetchCount, global: false, stoppingToken);
        List<Task> workers = [.. _partitions.Select(partition => RunPartitionAsync(partition.Reader)), RunUnpartitionedAsync()];
        var consumer = new AsyncEventingBasicConsumer(channel);
        consumer.ReceivedAsync += OnReceivedAsync;
        await channel.BasicConsumeAsync(Queue, autoAck: false, consumer, stoppingToken);
        AmqpLog.Consuming(logger, Queue, AgentRegistration.CommandPartitions, PrefetchCount);
        _consuming.TrySetResult();
        try
        {
            await Task.Delay(Timeout.Infinite, stoppingToken);
        }
        catch (OperationCanceledException)
        {
        }

        foreach (var partition in _partitions)
        {
            partition.Writer.TryComplete();
        }

        _unpartitioned.Writer.TryComplete();
        await Task.WhenAll(workers);
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        if (_channel is { } channel)
        {
            // Closing hands every unacknowledged delivery back to the queue (so does a connection already lost). A broker
            // that does not answer is given up on after CloseTimeout, not a stuck stop.
            try
            {
                using var bounded = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                bounded.CancelAfter(AmqpAgentConnection.CloseTimeout);
                await AmqpAgentConnection.CloseBoundedAsync(async () =>
                {
                    await channel.CloseAsync(bounded.Token);
                    await channel.DisposeAsync();
                });
            }
            catch (Exception e) when (AmqpAgentConnection.IsGone(e))
            {
                AmqpLog.CloseFailed(logger, e.Message);
            }
        }
    }

    public override void Dispose()
    {
        _running.Dispose();
        base.Dispose();
    }

    /// <summary>Copies the delivery (its body is the client's buffer) and queues it for its deployment's partition.</summary>
    private Task OnReceivedAsync(object sender, BasicDeliverEventArgs args)
    {
        var delivery = new Delivery(args.DeliveryTag, args.RoutingKey, new BasicProperties(args.BasicProperties), args.Body.ToArray(), Volatile.Read(ref _generation));
        MessageEnvelope envelope;
        WireType? type;
        object message;
        try
        {
            envelope = EnvelopeCodec.Read(delivery.Body.Span);
            type = WireTypes.Command(envelope.MessageType);
            if (type is null)
            {
                return _unpartitioned.Writer.WriteAsync(() => SkipAsync(delivery, envelope), _stopping).AsTask();
            }

            message = type.Read(envelope.Message ?? throw new JsonException("the envelope holds no message"));
        }
        catch (JsonException e)
        {
            return _unpartitioned.Writer.WriteAsync(() => FailAsync(delivery, null, null, e, 0), _stopping).AsTask();
        }

        Func<Task> work = () => ConsumeAsync(delivery, envelope, type, message);
        var writer = PartitionKey(message) is { } key ? _partitions[Partition(key)].Writer : _unpartitioned.Writer;
        return writer.WriteAsync(work, _stopping).AsTask();
    }

    private async Task RunPartitionAsync(ChannelReader<Func<Task>> partition)
    {
        await foreach (var work in partition.ReadAllAsync(CancellationToken.None))
        {
            await RunLimitedAsync(work);
        }
    }

    private async Task RunUnpartitionedAsync()
    {
        List<Task> running = [];
        await foreach (var work in _unpartitioned.Reader.ReadAllAsync(CancellationToken.None))
        {
            running.RemoveAll(task => task.IsCompleted);
            running.Add(RunLimitedAsync(work));
        }

        await Task.WhenAll(running);
    }

    /// <summary>At most <see cref="AgentRegistration.CommandPartitions"/> at once, MassTransit's ConcurrentMessageLimit.</summary>
    private async Task RunLimitedAsync(Func<Task> work)
    {
        try
        {
            await _running.WaitAsync(_stopping);
        }
        catch (OperationCanceledException)
        {
            return;
        }

        try
        {
            await work();
        }
        finally
        {
            _running.Release();
        }
    }

    private async Task ConsumeAsync(Delivery delivery, MessageEnvelope envelope, WireType type, object message)
    {
        using var activity = StartActivity(delivery);
        ConsumeScope.Current = envelope;
        try
        {
            for (var retry = 0; ; retry++)
            {
                try
                {
                    await router.HandleAsync(message, envelope, _stopping);
                    break;
                }
                catch (Exception e) when (!_stopping.IsCancellationRequested && delivery.Generation != Volatile.Read(ref _generation))
                {
                    // The channel it came on has closed since (the handler's results could not be published, most
                    // likely): the broker has it back and delivers it again once the connection is back. Neither tried
                    // again here nor moved to the error queue, where an outage longer than the retries would put it.
                    AmqpLog.HandedBack(logger, e, type.Name, envelope.MessageId);
                    Interlocked.Increment(ref _handedBack);
                    return;
                }
                catch (Exception e) when (!_stopping.IsCancellationRequested && retry < RetryIntervals.Retries)
                {
                    var delay = RetryIntervals.Before(retry);
                    AmqpLog.Retrying(logger, e, type.Name, envelope.MessageId, retry + 1, delay);
                    await Task.Delay(delay, _stopping);
                }
                catch (Exception e) when (!_stopping.IsCancellationRequested)
                {
                    activity?.SetStatus(ActivityStatusCode.Error, e.GetType().Name);
                    await FailAsync(delivery, envelope, type, e, retry);
                    return;
                }
            }

            await AckAsync(delivery);
        }
        catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
        {
            // Left unacknowledged: the broker delivers it again once this channel closes.
        }
        finally
        {
            ConsumeScope.Current = null;
        }
    }

    /// <summary>To the error queue as MassTransit moves it, then, for a request, its fault to the asker.</summary>
    private async Task FailAsync(Delivery delivery, MessageEnvelope? envelope, WireType? type, Exception exception, int retries)
    {
        var error = AgentTopology.ErrorQueue(options.HostId.Value);
        AmqpLog.MovedToError(logger, exception, type?.Name ?? "an unreadable message", envelope?.MessageId, retries, error);
        if (!await MoveAsync(delivery, error, FaultHeaders(exception, type, retries)))
        {
            return;
        }

        if (envelope is { ResponseAddress: not null } && type is not null)
        {
            try
            {
                await Transport.BrokerCalls.BoundedAsync(token => publisher.SendFaultAsync(envelope, type, exception, token), Transport.BrokerCalls.ConfirmTimeout, _stopping);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // The asker times out instead; the command itself is in the error queue either way.
                AmqpLog.MoveFailed(logger, e, delivery.Tag, envelope.ResponseAddress);
            }
        }

        await AckAsync(delivery);
    }

    private async Task SkipAsync(Delivery delivery, MessageEnvelope envelope)
    {
        var skipped = AgentTopology.SkippedQueue(options.HostId.Value);
        AmqpLog.Skipped(logger, string.Join(", ", envelope.MessageType ?? []), skipped);
        if (await MoveAsync(delivery, skipped, new Dictionary<string, object?>(HostHeaders()) { ["MT-Reason"] = "dead-letter" }))
        {
            await AckAsync(delivery);
        }
    }

    /// <summary>Moves a delivery; when that fails it is handed back to the queue (nack, requeue) to be tried again.</summary>
    private async Task<bool> MoveAsync(Delivery delivery, string queue, IReadOnlyDictionary<string, object?> headers)
    {
        try
        {
            await Transport.BrokerCalls.BoundedAsync(token => publisher.MoveAsync(queue, delivery.RoutingKey, delivery.Properties, delivery.Body, headers, token), Transport.BrokerCalls.ConfirmTimeout, _stopping);
            return true;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            AmqpLog.MoveFailed(logger, e, delivery.Tag, queue);
            try
            {
                await _channel!.BasicNackAsync(delivery.Tag, multiple: false, requeue: true, _stopping);
            }
            catch (Exception nack) when (nack is AlreadyClosedException or OperationInterruptedException)
            {
                AmqpLog.AckFailed(logger, delivery.Tag, nack.Message);
            }

            return false;
        }
    }

    private async Task AckAsync(Delivery delivery)
    {
        try
        {
            await _channel!.BasicAckAsync(delivery.Tag, multiple: false, _stopping);
        }
        catch (Exception e) when (e is AlreadyClosedException or OperationInterruptedException)
        {
            AmqpLog.AckFailed(logger, delivery.Tag, e.Message);
        }
    }

    /// <summary>The headers MassTransit's error transport adds (<c>SetExceptionHeaders</c> and <c>SetHostHeaders</c>).</summary>
    private Dictionary<string, object?> FaultHeaders(Exception exception, WireType? type, int retries)
    {
        var cause = exception.GetBaseException();
        var headers = new Dictionary<string, object?>(HostHeaders())
        {
            ["MT-Reason"] = "fault",
            ["MT-Fault-ExceptionType"] = cause.GetType().FullName,
            ["MT-Fault-InputAddress"] = publisher.SourceAddress.ToString(),
            ["MT-Fault-Message"] = cause.Message,
            ["MT-Fault-Timestamp"] = DateTime.UtcNow.ToString("O", CultureInfo.InvariantCulture),
            ["MT-Fault-StackTrace"] = cause.StackTrace ?? string.Empty,
        };
        if (type is not null)
        {
            // MassTransit names the consumer class here; the lean agent's one consumer is the router.
            headers["MT-Fault-ConsumerType"] = typeof(AmqpCommandRouter).FullName;
            headers["MT-Fault-MessageType"] = type.Type.FullName;
        }

        if (retries > 0)
        {
            headers["MT-Fault-RetryCount"] = retries;
        }

        return headers;
    }

    private static Dictionary<string, object?> HostHeaders()
    {
        var host = BusHostInfo.Current;
        return new Dictionary<string, object?>
        {
            ["MT-Host-MachineName"] = host.MachineName,
            ["MT-Host-ProcessName"] = host.ProcessName,
            ["MT-Host-ProcessId"] = host.ProcessId.ToString(CultureInfo.InvariantCulture),
            ["MT-Host-Assembly"] = host.Assembly,
            ["MT-Host-AssemblyVersion"] = host.AssemblyVersion,
            ["MT-Host-FrameworkVersion"] = host.FrameworkVersion,
            ["MT-Host-OperatingSystemVersion"] = host.OperatingSystemVersion,
        };
    }

    /// <summary>
    /// The consume span, a child of the sender's: MassTransit carries the sender's span in the transport header
    /// <c>MT-Activity-Id</c> (W3C <c>traceparent</c> form), not in <c>traceparent</c> itself.
    /// </summary>
    private Activity? StartActivity(Delivery delivery)
    {
        object? header = null;
        _ = delivery.Properties.Headers?.TryGetValue(AmqpAgentPublisher.ActivityIdHeader, out header);
        var parent = header switch
        {
            byte[] bytes => Encoding.UTF8.GetString(bytes),
            string text => text,
            _ => null,
        };
        var context = parent is not null && ActivityContext.TryParse(parent, null, isRemote: true, out var remote) ? remote : default;
        return WorkersTelemetry.Source.StartActivity($"{Queue} receive", ActivityKind.Consumer, context);
    }

    /// <summary>The deployment a command belongs to, as ConfigureAgentEndpoint partitions; null for a logs request.</summary>
    internal static string? PartitionKey(object message) => message switch
    {
        StartReplicas start => start.Spec.Name.Value,
        StopReplicas stop => stop.Name,
        _ => null,
    };

    private static int Partition(string key) =>
        (int)(BitConverter.ToUInt32(SHA256.HashData(Encoding.UTF8.GetBytes(key)).AsSpan(0, 4)) % AgentRegistration.CommandPartitions);

    // Generation: the consuming channel's generation the delivery came on (see _generation).
    private sealed record Delivery(ulong Tag, string RoutingKey, BasicProperties Properties, ReadOnlyMemory<byte> Body, int Generation);
}
