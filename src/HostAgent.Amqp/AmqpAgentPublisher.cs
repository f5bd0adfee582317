using System.Diagnostics;
using System.Text.Json;
using RabbitMQ.Client;
using Workers.HostAgent.Agent;

namespace Workers.HostAgent.Amqp;

/// <summary>
/// The agent's publisher on RabbitMQ: each message in MassTransit's envelope to its type's fanout exchange (declared
/// before its first publish), persistent, not mandatory (as MassTransit publishes), and awaited until the broker
/// confirms it; a nack, a return or a closed channel throws.
/// </summary>
/// <remarks>
/// One channel with publisher confirms and confirmation tracking, used by one publish at a time. RabbitMQ.Client 7
/// made channels safe to share, but concurrent confirmed publishes on one channel have hit its own "BUG FOUND"
/// (rabbitmq/rabbitmq-dotnet-client#1818, 7.1.1), and the agent publishes a few messages a second at most: a lock
/// costs nothing here. A publish that fails or is given up (the caller bounds it with <c>BrokerCalls.ConfirmTimeout</c>:
/// a confirm can be waited for for ever when the channel dies under it, #1930) leaves the channel for a new one, so
/// that no later publish waits behind it.
/// </remarks>
public sealed class AmqpAgentPublisher(AmqpAgentConnection connection, AgentOptions options) : IAgentPublisher, IAsyncDisposable
{
    /// <summary>Where MassTransit carries the sender's span (W3C <c>traceparent</c> form), read by its receive.</summary>
    public const string ActivityIdHeader = "MT-Activity-Id";

    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly HashSet<string> _declared = new(StringComparer.Ordinal);
    private IChannel? _channel;

    /// <summary>The agent's input address, the <c>sourceAddress</c> of what it sends (as from MassTransit's consumers).</summary>
    public Uri SourceAddress => connection.Address(AgentTopology.Queue(options.HostId.Value));

    public Task PublishAsync(object message, CancellationToken cancellationToken)
    {
        var type = WireTypes.Of(message);
        var envelope = InConversation(EnvelopeCodec.Envelope(message, type, SourceAddress, connection.Address(type.Name)), ConsumeScope.Current);
        return SendAsync(type.Name, string.Empty, envelope, mandatory: false, (channel, token) => AgentTopology.DeclarePublishExchangeAsync(channel, type.Name, token), cancellationToken);
    }

    /// <summary>A response to <paramref name="request"/>, sent to its <c>responseAddress</c>, as MassTransit's RespondAsync does.</summary>
    public Task RespondAsync(MessageEnvelope request, object response, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var address = new Uri(request.ResponseAddress ?? throw new ArgumentException("the request has no response address", nameof(request)));
        var envelope = InConversation(EnvelopeCodec.Envelope(response, WireTypes.Of(response), SourceAddress, address), request) with { RequestId = request.RequestId };
        return SendToAsync(address, envelope, cancellationToken);
    }

    /// <summary>
    /// MassTransit's <c>Fault&lt;T&gt;</c> of a request that failed, sent to its fault or response address, where
    /// MassTransit's request client turns it into a <c>RequestFaultException</c> at once instead of waiting out its timeout.
    /// </summary>
    public Task SendFaultAsync(MessageEnvelope request, WireType type, Exception exception, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(type);
        ArgumentNullException.ThrowIfNull(exception);
        var address = new Uri(request.FaultAddress ?? request.ResponseAddress ?? throw new ArgumentException("the request has no fault or response address", nameof(request)));
        var fault = new FaultBody(Guid.NewGuid(), EnvelopeCodec.Id(request.MessageId), DateTime.UtcNow, [Describe(exception.GetBaseException())], BusHostInfo.Current, type.Urns, request.Message ?? default);
        var body = JsonSerializer.SerializeToElement(fault, EnvelopeJson.Info<FaultBody>());
        var faultName = $"MassTransit:Fault[[{type.Name}]]";
        var envelope = InConversation(
            new MessageEnvelope
            {
                MessageId = Guid.NewGuid().ToString(),
                RequestId = request.RequestId,
                CorrelationId = request.CorrelationId,
                SourceAddress = SourceAddress.ToString(),
                DestinationAddress = address.ToString(),
                MessageType = [WireType.Urn(faultName), WireType.Urn("MassTransit:Fault")],
                Message = body,
                SentTime = DateTime.UtcNow,
                Headers = new Dictionary<string, JsonElement>(),
                Host = BusHostInfo.Current,
            },
            request);
        return SendToAsync(address, envelope, cancellationToken);
    }

    /// <summary>
    /// Publishes a delivery as it came, with <paramref name="headers"/> added, to <paramref name="queue"/>'s exchange
    /// (declared with its queue first), mandatory, as MassTransit moves a message to an error or skipped queue.
    /// </summary>
    internal Task MoveAsync(string queue, string routingKey, IReadOnlyBasicProperties received, ReadOnlyMemory<byte> body, IReadOnlyDictionary<string, object?> headers, CancellationToken cancellationToken)
    {
        var properties = new BasicProperties(received) { Expiration = null };
        var all = properties.Headers is { } existing ? new Dictionary<string, object?>(existing) : new Dictionary<string, object?>();
        foreach (var header in headers)
        {
            all[header.Key] = header.Value;
        }

        properties.Headers = all;
        return PublishAsync(queue, routingKey, properties, body, mandatory: true, (channel, token) => AgentTopology.DeclareQueueAsync(channel, queue, token), cancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        if (_channel is { } channel)
        {
            try
            {
                await AmqpAgentConnection.CloseBoundedAsync(() => channel.DisposeAsync().AsTask());
            }
            catch (Exception e) when (AmqpAgentConnection.IsGone(e))
            {
                // The connection is gone already, and the channel with it, whatever it says on the way out.
            }
        }

        _gate.Dispose();
    }

    private Task SendToAsync(Uri address, MessageEnvelope envelope, CancellationToken cancellationToken)
    {
        var exchange = AgentTopology.ExchangeOf(address);
        return SendAsync(exchange, string.Empty, envelope, mandatory: false, (channel, token) => AgentTopology.DeclareAddressAsync(channel, address, token), cancellationToken);
    }

    private Task SendAsync(string exchange, string routingKey, MessageEnvelope envelope, bool mandatory, Func<IChannel, CancellationToken, Task> declare, CancellationToken cancellationToken)
    {
        var properties = new BasicProperties
        {
            ContentType = EnvelopeCodec.ContentType,
            DeliveryMode = DeliveryModes.Persistent,
            MessageId = envelope.MessageId,
            CorrelationId = envelope.CorrelationId,
            Headers = new Dictionary<string, object?>(),
        };
        if (Activity.Current is { IdFormat: ActivityIdFormat.W3C, Id: { } activityId })
        {
            properties.Headers[ActivityIdHeader] = activityId;
        }

        return PublishAsync(exchange, routingKey, properties, EnvelopeCodec.Write(envelope), mandatory, declare, cancellationToken);
    }

    private async Task PublishAsync(string exchange, string routingKey, BasicProperties properties, ReadOnlyMemory<byte> body, bool mandatory, Func<IChannel, CancellationToken, Task> declare, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        IChannel? channel = null;
        try
        {
            channel = _channel ??= await (await connection.GetAsync(cancellationToken)).CreateChannelAsync(
                new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true),
                cancellationToken);
            if (!_declared.Contains(exchange))
            {
                await declare(channel, cancellationToken);
                _declared.Add(exchange);
            }

            await channel.BasicPublishAsync(exchange, routingKey, mandatory, properties, body, cancellationToken).AsTask().WaitAsync(cancellationToken);
        }
        catch (Exception) when (channel is not null && (!channel.IsOpen || cancellationToken.IsCancellationRequested))
        {
            Abandon(channel);
            throw;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Leaves a dead or stuck channel for a new one (the declarations are made again on it).</summary>
    private void Abandon(IChannel channel)
    {
        _channel = null;
        _declared.Clear();
        _ = channel.DisposeAsync().AsTask().ContinueWith(static t => t.Exception, TaskScheduler.Default);
    }

    private static MessageEnvelope InConversation(MessageEnvelope envelope, MessageEnvelope? consumed) =>
        consumed is null
            ? envelope with { ConversationId = Guid.NewGuid().ToString() }
            : envelope with { ConversationId = consumed.ConversationId ?? Guid.NewGuid().ToString(), InitiatorId = consumed.MessageId };

    private static FaultExceptionInfo Describe(Exception exception) =>
        new(exception.GetType().FullName ?? exception.GetType().Name, exception.InnerException is { } inner ? Describe(inner) : null, exception.StackTrace, exception.Message, exception.Source);
}

/// <summary>The envelope being consumed on this flow, so that what its handler publishes carries on its conversation.</summary>
internal static class ConsumeScope
{
    private static readonly AsyncLocal<MessageEnvelope?> Consumed = new();

    public static MessageEnvelope? Current
    {
        get => Consumed.Value;
        set => Consumed.Value = value;
    }
}
