using RabbitMQ.Client;
using Workers.Transport;

namespace Workers.HostAgent.Amqp;

/// <summary>
/// The exchanges, queues and bindings the MassTransit agent declares, declared the same way (all within the agent
/// user's rights, infra/rabbitmq/users.sh): its queue <c>host.&lt;id&gt;</c> (a durable quorum queue) behind the
/// fanout exchange of the same name, which is where the functions send; <c>host.&lt;id&gt;_error</c> and
/// <c>host.&lt;id&gt;_skipped</c> likewise, on first use; and each published type's durable fanout exchange.
/// </summary>
public static class AgentTopology
{
    public static readonly IDictionary<string, object?> QuorumQueue = new Dictionary<string, object?> { ["x-queue-type"] = "quorum" };

    public static string Queue(string hostId) => Queues.Host(hostId);

    public static string ErrorQueue(string hostId) => $"{Queues.Host(hostId)}_error";

    public static string SkippedQueue(string hostId) => $"{Queues.Host(hostId)}_skipped";

    /// <summary>A queue and its exchange of the same name, bound to it, as MassTransit makes a receive endpoint's.</summary>
    public static async Task DeclareQueueAsync(IChannel channel, string name, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(channel);
        await channel.ExchangeDeclareAsync(name, ExchangeType.Fanout, durable: true, autoDelete: false, cancellationToken: cancellationToken);
        await channel.QueueDeclareAsync(name, durable: true, exclusive: false, autoDelete: false, arguments: QuorumQueue, cancellationToken: cancellationToken);
        await channel.QueueBindAsync(name, name, string.Empty, cancellationToken: cancellationToken);
    }

    /// <summary>A published type's exchange (nothing bound: the subscribers bind their queues to it).</summary>
    public static Task DeclarePublishExchangeAsync(IChannel channel, string name, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(channel);
        return channel.ExchangeDeclareAsync(name, ExchangeType.Fanout, durable: true, autoDelete: false, cancellationToken: cancellationToken);
    }

    /// <summary>The exchange a MassTransit address (<c>rabbitmq://host/vhost/name?…</c>) names: its last path segment.</summary>
    public static string ExchangeOf(Uri address)
    {
        ArgumentNullException.ThrowIfNull(address);
        var path = address.AbsolutePath.TrimEnd('/');
        return Uri.UnescapeDataString(path[(path.LastIndexOf('/') + 1)..]);
    }

    /// <summary>
    /// The exchange a MassTransit address names (its last path segment), declared as the address says
    /// (<c>durable</c>, <c>autodelete</c>, <c>temporary</c>) so that it matches its owner's declaration.
    /// </summary>
    public static async Task<string> DeclareAddressAsync(IChannel channel, Uri address, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(channel);
        ArgumentNullException.ThrowIfNull(address);
        var name = ExchangeOf(address);
        var (durable, autoDelete) = (true, false);
        foreach (var pair in address.Query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var (key, value) = pair.Split('=', 2) is [var k, var v] ? (k, v) : (pair, "true");
            var on = bool.TryParse(value, out var flag) && flag;
            switch (key.ToLowerInvariant())
            {
                case "durable":
                    durable = on;
                    break;
                case "autodelete":
                    autoDelete = on;
                    break;
                case "temporary" when on:
                    (durable, autoDelete) = (false, true);
                    break;
            }
        }

        await channel.ExchangeDeclareAsync(name, ExchangeType.Fanout, durable, autoDelete, cancellationToken: cancellationToken);
        return name;
    }
}
