using Azure.Messaging.ServiceBus;
using Workers.Functions.Handlers;
using Workers.Security;

namespace Workers.Transport.ServiceBus;

/// <summary>
/// Carries out <see cref="Effects"/> on the flow topic: host commands first (with the <c>hostId</c> property their
/// host's subscription matches), then events (matched by the function subscriptions on <c>messageType</c>), in order,
/// one send each, so a failure leaves the rest unsent and the caller's retry sends them all again; duplicate detection
/// drops the ones that had arrived, as their <c>MessageId</c> is the contract's.
/// </summary>
public sealed class ServiceBusEffectsDispatcher : IEffectsDispatcher, IAsyncDisposable
{
    private readonly ServiceBusClient _client;
    private readonly ServiceBusSettings _settings;
    private readonly Lazy<ServiceBusSender> _topic;
    private readonly SigningKey _key;

    public ServiceBusEffectsDispatcher(ServiceBusClient client, ServiceBusSettings settings, SigningKey key)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(key);
        (_client, _settings, _key) = (client, settings, key);
        _topic = new Lazy<ServiceBusSender>(() => client.CreateSender(settings.Topic));
    }

    public async Task DispatchAsync(Effects effects, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(effects);
        foreach (var (hostId, command) in effects.Sent)
        {
            await _topic.Value.SendMessageAsync(ServiceBusEnvelope.Create(_key.SignIfSigned(command), hostId), cancellationToken);
        }

        foreach (var message in effects.Published)
        {
            await _topic.Value.SendMessageAsync(ServiceBusEnvelope.Create(message), cancellationToken);
        }

        await effects.CompleteAsync(cancellationToken);
    }

    /// <summary>
    /// Answers a request on the entity its <c>ReplyTo</c> names (a queue of the requester's, session-enabled when it
    /// set <c>ReplyToSessionId</c>). Returns false when the request asked for no reply. Never replies onto the flow
    /// topic, where a forged <c>ReplyTo</c> could otherwise inject a message.
    /// </summary>
    public async Task<bool> ReplyAsync(object reply, ServiceBusReceivedMessage request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(reply);
        ArgumentNullException.ThrowIfNull(request);
        if (string.IsNullOrEmpty(request.ReplyTo))
        {
            return false;
        }

        if (string.Equals(request.ReplyTo, _settings.Topic, StringComparison.OrdinalIgnoreCase))
        {
            throw new InvalidOperationException($"a request may not ask for its reply on the flow topic '{_settings.Topic}'");
        }

        var message = ServiceBusEnvelope.Create(reply);
        message.ApplicationProperties[ServiceBusTopology.InReplyToProperty] = request.MessageId;
        if (!string.IsNullOrEmpty(request.ReplyToSessionId))
        {
            message.SessionId = request.ReplyToSessionId;
        }

        await using var sender = _client.CreateSender(request.ReplyTo);
        await sender.SendMessageAsync(message, cancellationToken);
        return true;
    }

    public async ValueTask DisposeAsync()
    {
        if (_topic.IsValueCreated)
        {
            await _topic.Value.DisposeAsync();
        }
    }
}
