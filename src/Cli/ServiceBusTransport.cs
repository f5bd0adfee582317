using Azure.Messaging.ServiceBus;
using Workers.Transport.ServiceBus;

namespace Workers.Cli;

/// <summary>
/// The functions on Azure Service Bus. A deployment or a deletion goes to the flow topic as the event it is. A request
/// goes there with <c>ReplyTo</c> the reply queue and <c>ReplyToSessionId</c> this client's own session, and the
/// functions answer in that session (<c>ServiceBusEffectsDispatcher.ReplyAsync</c> in src/Functions.ServiceBus); the
/// client locks its session before it asks, so no other CLI on the same queue can read its replies, nor it theirs.
/// </summary>
internal sealed class ServiceBusTransport(ServiceBusClient client, ServiceBusSettings settings, string replyQueue, TimeSpan requestTimeout, TimeProvider time)
    : IWorkersTransport, IAsyncDisposable
{
    /// <summary>Where <c>WORKERS_SERVICEBUS_REPLY_QUEUE</c> names the reply queue (default <see cref="ServiceBusTopology.DefaultReplyQueue"/>).</summary>
    public const string ReplyQueueSetting = "WORKERS_SERVICEBUS_REPLY_QUEUE";

    private readonly Lazy<ServiceBusSender> _topic = new(() => client.CreateSender(settings.Topic));
    private ServiceBusSessionReceiver? _replies;

    /// <summary>This client's session on the reply queue.</summary>
    public string Session { get; } = Guid.NewGuid().ToString("N");

    /// <summary>
    /// Opens the transport the CLI's settings describe, <paramref name="broker"/> (from <c>--broker</c>, the
    /// environment or a context) for <c>WORKERS_BROKER</c> and the rest from <paramref name="environment"/>; a
    /// <see cref="CliFailure"/> (usage) lists every problem, never a secret.
    /// </summary>
    public static ServiceBusTransport Open(string broker, Func<string, string?> environment, TimeSpan requestTimeout)
    {
        ArgumentNullException.ThrowIfNull(environment);
        if (!ServiceBusSettings.TryRead(key => key == ServiceBusSettings.BrokerSetting ? broker : environment(key), out var settings, out var problems))
        {
            throw new CliFailure(ExitCodes.Usage, "config.invalid", Transport.SettingProblems.Join(problems));
        }

        var replyQueue = environment(ReplyQueueSetting) is { Length: > 0 } queue ? queue : ServiceBusTopology.DefaultReplyQueue;
        if (string.Equals(replyQueue, settings.Topic, StringComparison.OrdinalIgnoreCase))
        {
            throw new CliFailure(ExitCodes.Usage, "config.invalid", $"{ReplyQueueSetting} '{replyQueue}' is the flow topic: replies go to a session-enabled queue of their own");
        }

        return new ServiceBusTransport(ServiceBusRegistration.CreateClient(settings), settings, replyQueue, requestTimeout, TimeProvider.System);
    }

    public Task PublishAsync(object message, CancellationToken cancellationToken) =>
        _topic.Value.SendMessageAsync(ServiceBusEnvelope.Create(message), cancellationToken);

    public async Task<TReply> RequestAsync<TRequest, TReply>(TRequest request, CancellationToken cancellationToken)
        where TRequest : class
        where TReply : class
    {
        var message = ServiceBusEnvelope.Create(request);
        message.ReplyTo = replyQueue;
        message.ReplyToSessionId = Session;
        _replies ??= await client.AcceptSessionAsync(replyQueue, Session, cancellationToken: cancellationToken);
        var deadline = time.GetUtcNow() + requestTimeout;
        await _topic.Value.SendMessageAsync(message, cancellationToken);
        while (deadline - time.GetUtcNow() is { Ticks: > 0 } left)
        {
            if (await _replies.ReceiveMessageAsync(left, cancellationToken) is not { } received)
            {
                break;
            }

            // Settled whatever it is: a reply that came after its request had given up belongs to no one now.
            await _replies.CompleteMessageAsync(received, cancellationToken);
            if (!received.ApplicationProperties.TryGetValue(ServiceBusTopology.InReplyToProperty, out var inReplyTo) || !Equals(inReplyTo, message.MessageId))
            {
                continue;
            }

            var read = ServiceBusEnvelope.Read(received);
            return read.Message as TReply
                ?? throw new CliFailure(ExitCodes.Unavailable, "functions.reply", $"the functions' reply to {typeof(TRequest).Name} is not a {typeof(TReply).Name}: {read.Description ?? read.Message!.GetType().Name}");
        }

        throw WorkersUnavailableException.NoAnswer(requestTimeout);
    }

    public async ValueTask DisposeAsync()
    {
        if (_replies is not null)
        {
            await _replies.DisposeAsync();
        }

        if (_topic.IsValueCreated)
        {
            await _topic.Value.DisposeAsync();
        }

        await client.DisposeAsync();
    }
}
