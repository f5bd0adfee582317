using System.Collections;
using System.Reflection;
using Azure.Messaging.ServiceBus;
using Workers.Contracts.Spec;

namespace Workers.Transport.ServiceBus.Tests.Support;

internal static class Messages
{
    public static readonly DateTimeOffset Now = new(2025, 6, 1, 12, 0, 0, TimeSpan.Zero);

    public static DeploymentSpec Spec(string name = "web")
    {
        var result = SpecParser.Parse(
            $"name: {name}\nimage: registry.example.com/team/web:1.4.2\nreplicas: 2\nports:\n  - container: 8080\n    host: 18080\nresources: {{ cpu: 500m, memory: 256Mi }}\nenv: {{ LOG_LEVEL: info }}\n",
            "test.yaml");
        Assert.True(result.IsValid, string.Join(Environment.NewLine, result.Problems));
        return result.Spec!;
    }

    /// <summary>What Service Bus would deliver for <paramref name="sent"/>: the same body and properties.</summary>
    public static ServiceBusReceivedMessage Received(ServiceBusMessage sent, int deliveryCount = 1, BinaryData? body = null) =>
        ServiceBusModelFactory.ServiceBusReceivedMessage(
            body: body ?? sent.Body,
            messageId: sent.MessageId,
            correlationId: sent.CorrelationId,
            subject: sent.Subject,
            contentType: sent.ContentType,
            replyTo: sent.ReplyTo,
            replyToSessionId: sent.ReplyToSessionId,
            sessionId: sent.SessionId,
            properties: new Dictionary<string, object>(sent.ApplicationProperties),
            deliveryCount: deliveryCount);

    public static ServiceBusReceivedMessage Received(string body, string? messageType, string? contentType = "application/json", int deliveryCount = 1)
    {
        var properties = new Dictionary<string, object>();
        if (messageType is not null)
        {
            properties["messageType"] = messageType;
        }

        return ServiceBusModelFactory.ServiceBusReceivedMessage(
            body: BinaryData.FromString(body),
            messageId: Guid.NewGuid().ToString("D"),
            contentType: contentType,
            properties: properties,
            deliveryCount: deliveryCount);
    }

    /// <summary>
    /// An instance of any contract with every member filled (lists with one element, nested records filled in turn),
    /// so that a contract added later is round-tripped without anyone writing a sample for it.
    /// </summary>
    public static object Sample(Type type) => Value(type, "sample");

    private static object Value(Type type, string name)
    {
        type = Nullable.GetUnderlyingType(type) ?? type;
        if (type == typeof(string))
        {
            return name == "hostId" ? "host-a" : $"{name}-value";
        }

        if (type == typeof(Guid))
        {
            return Guid.NewGuid();
        }

        if (type == typeof(DateTimeOffset))
        {
            return Now;
        }

        if (type == typeof(int) || type == typeof(long))
        {
            return Convert.ChangeType(3, type, System.Globalization.CultureInfo.InvariantCulture);
        }

        if (type == typeof(bool))
        {
            return true;
        }

        if (type == typeof(TimeSpan))
        {
            return TimeSpan.FromSeconds(5);
        }

        if (type.IsEnum)
        {
            // The last member: a value that only round-trips if the enum is really written and read.
            return Enum.GetValues(type).GetValue(Enum.GetValues(type).Length - 1)!;
        }

        if (type == typeof(DeploymentSpec))
        {
            return Spec();
        }

        if (type.IsGenericType && type.GetGenericTypeDefinition() == typeof(IReadOnlyList<>))
        {
            var element = type.GetGenericArguments()[0];
            var list = (IList)Activator.CreateInstance(typeof(List<>).MakeGenericType(element))!;
            list.Add(Value(element, name));
            return list;
        }

        if (type.IsGenericType && type.GetGenericTypeDefinition() == typeof(IReadOnlyDictionary<,>))
        {
            var arguments = type.GetGenericArguments();
            var map = (IDictionary)Activator.CreateInstance(typeof(Dictionary<,>).MakeGenericType(arguments))!;
            map.Add(Value(arguments[0], "key"), Value(arguments[1], name));
            return map;
        }

        var constructor = type.GetConstructors(BindingFlags.Public | BindingFlags.Instance).OrderByDescending(c => c.GetParameters().Length).FirstOrDefault()
            ?? throw new InvalidOperationException($"no sample for {type}; teach Messages.Sample about it");
        return constructor.Invoke([.. constructor.GetParameters().Select(p => Value(p.ParameterType, p.Name!))]);
    }
}
