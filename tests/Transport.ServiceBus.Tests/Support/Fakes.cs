using Azure.Messaging.ServiceBus;

namespace Workers.Transport.ServiceBus.Tests.Support;

/// <summary>A client that hands out fakes instead of opening an AMQP connection.</summary>
internal sealed class FakeClient : ServiceBusClient
{
    public Dictionary<string, FakeSender> Senders { get; } = [];

    public List<FakeProcessor> Processors { get; } = [];

    public override string FullyQualifiedNamespace => "fake.servicebus.windows.net";

    public override ServiceBusSender CreateSender(string queueOrTopicName)
    {
        if (!Senders.TryGetValue(queueOrTopicName, out var sender))
        {
            sender = new FakeSender(queueOrTopicName);
            Senders.Add(queueOrTopicName, sender);
        }

        return sender;
    }

    public override ServiceBusProcessor CreateProcessor(string topicName, string subscriptionName, ServiceBusProcessorOptions options)
    {
        var processor = new FakeProcessor(topicName, subscriptionName, options);
        Processors.Add(processor);
        return processor;
    }

    /// <summary>Sessions accepted, in order: each reads what was sent to its queue in its session.</summary>
    public List<FakeSessionReceiver> Sessions { get; } = [];

    public override Task<ServiceBusSessionReceiver> AcceptSessionAsync(string queueName, string sessionId, ServiceBusSessionReceiverOptions? options = null, CancellationToken cancellationToken = default)
    {
        var receiver = new FakeSessionReceiver((FakeSender)CreateSender(queueName), sessionId);
        Sessions.Add(receiver);
        return Task.FromResult<ServiceBusSessionReceiver>(receiver);
    }

    public override ValueTask DisposeAsync() => ValueTask.CompletedTask;
}

internal sealed class FakeSender(string entityPath) : ServiceBusSender
{
    private readonly List<ServiceBusMessage> _sent = [];

    public IReadOnlyList<ServiceBusMessage> Sent => _sent;

    /// <summary>Sends fail from this message on (0-based), to test partial dispatch.</summary>
    public int? FailFrom { get; set; }

    public override string EntityPath => entityPath;

    public override Task SendMessageAsync(ServiceBusMessage message, CancellationToken cancellationToken = default)
    {
        if (_sent.Count >= FailFrom)
        {
            throw new ServiceBusException("the namespace is busy", ServiceBusFailureReason.ServiceBusy);
        }

        _sent.Add(message);
        return OnSent?.Invoke(message) ?? Task.CompletedTask;
    }

    /// <summary>What happens once a message is sent: a consumer on the other side, say.</summary>
    public Func<ServiceBusMessage, Task>? OnSent { get; set; }

    public override ValueTask DisposeAsync() => ValueTask.CompletedTask;
}

/// <summary>Records every settlement; overrides each overload a settlement can go through.</summary>
internal sealed class FakeReceiver : ServiceBusReceiver
{
    public List<ServiceBusReceivedMessage> Completed { get; } = [];

    public List<(ServiceBusReceivedMessage Message, IDictionary<string, object>? Properties)> Abandoned { get; } = [];

    public List<(ServiceBusReceivedMessage Message, string? Reason, string? Description)> DeadLettered { get; } = [];

    public int Settlements => Completed.Count + Abandoned.Count + DeadLettered.Count;

    public override Task CompleteMessageAsync(ServiceBusReceivedMessage message, CancellationToken cancellationToken = default)
    {
        Completed.Add(message);
        return Task.CompletedTask;
    }

    public override Task AbandonMessageAsync(ServiceBusReceivedMessage message, IDictionary<string, object>? propertiesToModify = null, CancellationToken cancellationToken = default)
    {
        Abandoned.Add((message, propertiesToModify));
        return Task.CompletedTask;
    }

    public override Task DeadLetterMessageAsync(ServiceBusReceivedMessage message, string deadLetterReason, string? deadLetterErrorDescription = null, CancellationToken cancellationToken = default)
    {
        DeadLettered.Add((message, deadLetterReason, deadLetterErrorDescription));
        return Task.CompletedTask;
    }

    public override Task DeadLetterMessageAsync(ServiceBusReceivedMessage message, IDictionary<string, object>? propertiesToModify = null, CancellationToken cancellationToken = default)
    {
        DeadLettered.Add((message, null, null));
        return Task.CompletedTask;
    }

    public override Task DeadLetterMessageAsync(ServiceBusReceivedMessage message, IDictionary<string, object>? propertiesToModify, string? deadLetterReason, string? deadLetterErrorDescription = null, CancellationToken cancellationToken = default)
    {
        DeadLettered.Add((message, deadLetterReason, deadLetterErrorDescription));
        return Task.CompletedTask;
    }

    public override ValueTask DisposeAsync() => ValueTask.CompletedTask;
}

/// <summary>A processor that receives nothing by itself; the test delivers through the processor's own event path.</summary>
internal sealed class FakeProcessor(string topic, string subscription, ServiceBusProcessorOptions options) : ServiceBusProcessor
{
    public string Topic => topic;

    public string Subscription => subscription;

    public ServiceBusProcessorOptions Options => options;

    public bool Started { get; private set; }

    public override Task StartProcessingAsync(CancellationToken cancellationToken = default)
    {
        Started = true;
        return Task.CompletedTask;
    }

    public override Task StopProcessingAsync(CancellationToken cancellationToken = default)
    {
        Started = false;
        return Task.CompletedTask;
    }

    public Task DeliverAsync(ServiceBusReceivedMessage message, ServiceBusReceiver receiver) =>
        OnProcessMessageAsync(new ProcessMessageEventArgs(message, receiver, CancellationToken.None));

    public override Task CloseAsync(CancellationToken cancellationToken = default) => Task.CompletedTask;
}

/// <summary>
/// A session on a queue: hands out, in order, what was sent to the queue in this session and has not been handed out;
/// nothing there is the receive's wait running out (null), which a real receiver reports the same way.
/// </summary>
internal sealed class FakeSessionReceiver(FakeSender queue, string sessionId) : ServiceBusSessionReceiver
{
    private int _next;

    public override string SessionId => sessionId;

    public override string EntityPath => queue.EntityPath;

    public List<ServiceBusReceivedMessage> Completed { get; } = [];

    public override Task<ServiceBusReceivedMessage?> ReceiveMessageAsync(TimeSpan? maxWaitTime = null, CancellationToken cancellationToken = default)
    {
        while (_next < queue.Sent.Count)
        {
            var sent = queue.Sent[_next++];
            if (sent.SessionId == sessionId)
            {
                return Task.FromResult<ServiceBusReceivedMessage?>(Messages.Received(sent));
            }
        }

        return Task.FromResult<ServiceBusReceivedMessage?>(null);
    }

    public override Task CompleteMessageAsync(ServiceBusReceivedMessage message, CancellationToken cancellationToken = default)
    {
        Completed.Add(message);
        return Task.CompletedTask;
    }

    public override ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
