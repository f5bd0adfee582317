using System.Text.Json;
using Workers.Contracts.Messages;

namespace Workers.HostAgent.Amqp;

/// <summary>
/// A contract as MassTransit names it on the wire: <c>Namespace:Type</c> is its publish exchange, and
/// <c>urn:message:Namespace:Type</c> its entry in an envelope's <c>messageType</c>, followed by those of the
/// contract interfaces it implements, as MassTransit lists them.
/// </summary>
public sealed class WireType
{
    private readonly Func<object, JsonElement> _write;
    private readonly Func<JsonElement, object> _read;

    private WireType(Type type, IReadOnlyList<string> urns, Func<object, JsonElement> write, Func<JsonElement, object> read) =>
        (Type, Name, Urns, _write, _read) = (type, NameOf(type), urns, write, read);

    public Type Type { get; }

    /// <summary><c>Workers.Contracts.Messages:ReplicaStarted</c>: the name of the fanout exchange it is published to.</summary>
    public string Name { get; }

    /// <summary>The <c>messageType</c> of its envelope.</summary>
    public IReadOnlyList<string> Urns { get; }

    public JsonElement Write(object message) => _write(message);

    public object Read(JsonElement message) => _read(message);

    public static string Urn(string name) => $"urn:message:{name}";

    internal static string NameOf(Type type) => $"{type.Namespace}:{type.Name}";

    internal static WireType Of<T>()
        where T : class
    {
        var info = EnvelopeJson.Info<T>();
        List<string> urns = [Urn(NameOf(typeof(T)))];
        if (typeof(IAgentMessage).IsAssignableFrom(typeof(T)))
        {
            urns.Add(Urn(NameOf(typeof(IAgentMessage))));
        }

        if (typeof(ISignedMessage).IsAssignableFrom(typeof(T)))
        {
            urns.Add(Urn(NameOf(typeof(ISignedMessage))));
        }

        return new WireType(
            typeof(T),
            urns,
            message => JsonSerializer.SerializeToElement((T)message, info),
            element => element.Deserialize(info) ?? throw new JsonException($"{NameOf(typeof(T))}: the message is null"));
    }
}

/// <summary>The agent's contracts on the wire: the commands it reads and what it publishes or answers.</summary>
public static class WireTypes
{
    /// <summary>What the functions send to <c>host.&lt;id&gt;</c>.</summary>
    public static IReadOnlyList<WireType> Commands { get; } = [WireType.Of<StartReplicas>(), WireType.Of<StopReplicas>(), WireType.Of<ReadContainerLogs>()];

    /// <summary>What the agent publishes (<see cref="ReplicaLogsReply"/> is a response, sent to the asker).</summary>
    public static IReadOnlyList<WireType> Results { get; } =
    [
        WireType.Of<ReplicaStarted>(), WireType.Of<ReplicaFailed>(), WireType.Of<ReplicaStopped>(), WireType.Of<ReplicaHealthChanged>(),
        WireType.Of<HostHeartbeat>(), WireType.Of<ReplicaLogsReply>(),
    ];

    private static readonly Dictionary<Type, WireType> ByType = Commands.Concat(Results).ToDictionary(t => t.Type);

    private static readonly Dictionary<string, WireType> CommandsByUrn = Commands.ToDictionary(t => t.Urns[0], StringComparer.Ordinal);

    /// <summary>The wire type of <paramref name="message"/>; throws for a type the agent never sends.</summary>
    public static WireType Of(object message)
    {
        ArgumentNullException.ThrowIfNull(message);
        return ByType.TryGetValue(message.GetType(), out var type)
            ? type
            : throw new ArgumentException($"{message.GetType().Name} is not a message the agent sends", nameof(message));
    }

    /// <summary>The command an envelope's <c>messageType</c> names, if any (as MassTransit, the first known one).</summary>
    public static WireType? Command(IReadOnlyList<string>? urns) =>
        urns?.Select(urn => CommandsByUrn.GetValueOrDefault(urn)).FirstOrDefault(type => type is not null);
}
