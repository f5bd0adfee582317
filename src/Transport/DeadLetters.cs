using System.Text;
using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;

namespace Workers.Transport;

/// <summary>A message MassTransit moved to an error queue after its retries, with the reason it gave.</summary>
public sealed record DeadLetter(string Queue, string? MessageId, string? MessageType, string? Reason, DateTimeOffset? FaultedAt, int Size);

/// <summary>
/// Reads and re-drives the error queues (<c>&lt;queue&gt;_error</c>) that MassTransit fills after a message's
/// bounded retries, on RabbitMQ. Listing leaves every message where it was.
/// </summary>
public sealed class DeadLetters(Broker broker)
{
    public const string ErrorSuffix = "_error";

    public async Task<IReadOnlyList<DeadLetter>> ListAsync(IEnumerable<string> queues, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(queues);
        await using var connection = await ConnectAsync(cancellationToken);
        var letters = new List<DeadLetter>();
        foreach (var queue in queues.Distinct(StringComparer.Ordinal))
        {
            await using var channel = await connection.CreateChannelAsync(cancellationToken: cancellationToken);
            var errorQueue = queue + ErrorSuffix;
            if (!await ExistsAsync(connection, errorQueue, cancellationToken))
            {
                continue;
            }

            // Take each message without acknowledging it, then hand them all back: the queue is as it was.
            var tags = new List<ulong>();
            while (await channel.BasicGetAsync(errorQueue, autoAck: false, cancellationToken) is { } result)
            {
                tags.Add(result.DeliveryTag);
                letters.Add(Describe(queue, result.BasicProperties, result.Body.Length));
            }

            if (tags.Count > 0)
            {
                await channel.BasicNackAsync(tags[^1], multiple: true, requeue: true, cancellationToken);
            }
        }

        return letters;
    }

    /// <summary>Moves error-queue messages back to their queue (all of them, or the one with <paramref name="messageId"/>).</summary>
    public async Task<int> ReplayAsync(IEnumerable<string> queues, string? messageId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(queues);
        await using var connection = await ConnectAsync(cancellationToken);
        var moved = 0;
        foreach (var queue in queues.Distinct(StringComparer.Ordinal))
        {
            var errorQueue = queue + ErrorSuffix;
            if (!await ExistsAsync(connection, errorQueue, cancellationToken))
            {
                continue;
            }

            await using var channel = await connection.CreateChannelAsync(new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true), cancellationToken);
            var keep = new List<ulong>();
            while (await channel.BasicGetAsync(errorQueue, autoAck: false, cancellationToken) is { } result)
            {
                if (messageId is not null && result.BasicProperties.MessageId != messageId)
                {
                    keep.Add(result.DeliveryTag);
                    continue;
                }

                // MassTransit binds an exchange of the queue's name to it; publishing there is what a send does.
                var properties = new BasicProperties(result.BasicProperties) { Persistent = true };
                await channel.BasicPublishAsync(queue, string.Empty, mandatory: true, properties, result.Body, cancellationToken);
                await channel.BasicAckAsync(result.DeliveryTag, multiple: false, cancellationToken);
                moved++;
            }

            foreach (var tag in keep)
            {
                await channel.BasicNackAsync(tag, multiple: false, requeue: true, cancellationToken);
            }
        }

        return moved;
    }

    private static DeadLetter Describe(string queue, IReadOnlyBasicProperties properties, int size)
    {
        var headers = properties.Headers ?? new Dictionary<string, object?>();
        var reason = Header(headers, "MT-Fault-Message") ?? Header(headers, "MT-Reason");
        var type = Header(headers, "MT-Fault-MessageType") ?? properties.Type;
        DateTimeOffset? at = DateTimeOffset.TryParse(Header(headers, "MT-Fault-Timestamp"), System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AssumeUniversal, out var parsed) ? parsed : null;
        return new DeadLetter(queue, properties.MessageId, type, reason, at, size);
    }

    private static string? Header(IDictionary<string, object?> headers, string key) => headers.TryGetValue(key, out var value) ? value switch
    {
        byte[] bytes => Encoding.UTF8.GetString(bytes),
        null => null,
        _ => value.ToString(),
    } : null;

    private static async Task<bool> ExistsAsync(IConnection connection, string queue, CancellationToken cancellationToken)
    {
        // A passive declare of a missing queue closes its channel, so it gets a channel of its own.
        await using var probe = await connection.CreateChannelAsync(cancellationToken: cancellationToken);
        try
        {
            await probe.QueueDeclarePassiveAsync(queue, cancellationToken);
            return true;
        }
        catch (OperationInterruptedException)
        {
            return false;
        }
    }

    private async Task<IConnection> ConnectAsync(CancellationToken cancellationToken)
    {
        if (broker.IsInMemory)
        {
            throw new InvalidOperationException("dead letters live on a broker: set WORKERS_BROKER (the in-memory bus keeps none after the process ends)");
        }

        return await broker.ConnectAsync(broker.ConnectionFactory("workers-dead-letters"), cancellationToken);
    }
}
