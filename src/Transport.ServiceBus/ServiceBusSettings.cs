using System.Diagnostics.CodeAnalysis;
using System.Globalization;

namespace Workers.Transport.ServiceBus;

/// <summary>
/// Where the Service Bus is and how to reach it, read from the settings the Bicep file gives the Function App:
/// <list type="bullet">
/// <item><c>WORKERS_BROKER</c> = <c>servicebus://&lt;namespace&gt;.servicebus.windows.net/</c> chooses this transport;</item>
/// <item><c>WORKERS_SERVICEBUS_CONNECTION</c>, a connection string (optional): without it the client signs in with
/// <c>DefaultAzureCredential</c> (the app's managed identity on Azure; <c>AZURE_CLIENT_ID</c> picks a user-assigned one);</item>
/// <item><c>WORKERS_SERVICEBUS_TOPIC</c> (default <c>workers</c>);</item>
/// <item><c>WORKERS_SERVICEBUS_MAX_DELIVERIES</c> (default 5): the delivery after which a failing message is dead-lettered
/// with a reason. Keep it below the subscriptions' <c>maxDeliveryCount</c> so the reasoned dead-lettering comes first.</item>
/// </list>
/// </summary>
public sealed record ServiceBusSettings
{
    public const string BrokerSetting = "WORKERS_BROKER";
    public const string ConnectionSetting = "WORKERS_SERVICEBUS_CONNECTION";
    public const string TopicSetting = "WORKERS_SERVICEBUS_TOPIC";
    public const string MaxDeliveriesSetting = "WORKERS_SERVICEBUS_MAX_DELIVERIES";
    public const string Scheme = "servicebus";
    public const int DefaultMaxDeliveries = 5;

    public ServiceBusSettings(string fullyQualifiedNamespace, string? connectionString = null, string topic = ServiceBusTopology.DefaultTopic, int maxDeliveries = DefaultMaxDeliveries)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(fullyQualifiedNamespace);
        ArgumentException.ThrowIfNullOrWhiteSpace(topic);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxDeliveries, 1);
        (FullyQualifiedNamespace, ConnectionString, Topic, MaxDeliveries) = (fullyQualifiedNamespace, connectionString, topic, maxDeliveries);
    }

    /// <summary>For example <c>workers-prod.servicebus.windows.net</c>.</summary>
    public string FullyQualifiedNamespace { get; }

    /// <summary>A connection string, or null to sign in with <c>DefaultAzureCredential</c>.</summary>
    public string? ConnectionString { get; }

    public string Topic { get; }

    public int MaxDeliveries { get; }

    /// <summary>Whether <c>WORKERS_BROKER</c> asks for Service Bus (so a host can choose between this and MassTransit).</summary>
    public static bool IsServiceBus(string? broker) =>
        broker is not null && broker.StartsWith(Scheme + "://", StringComparison.OrdinalIgnoreCase);

    /// <summary>Reads the settings, or says every problem with them.</summary>
    public static bool TryRead(Func<string, string?> setting, [NotNullWhen(true)] out ServiceBusSettings? settings, out IReadOnlyList<string> problems)
    {
        ArgumentNullException.ThrowIfNull(setting);
        settings = null;
        var found = new List<string>();
        var broker = setting(BrokerSetting);
        string? fqns = null;
        if (!Uri.TryCreate(broker, UriKind.Absolute, out var uri) || !uri.Scheme.Equals(Scheme, StringComparison.OrdinalIgnoreCase) || string.IsNullOrEmpty(uri.Host))
        {
            found.Add($"{BrokerSetting} must be servicebus://<namespace>.servicebus.windows.net/, got '{(string.IsNullOrEmpty(uri?.UserInfo) ? broker : "(an address with credentials)")}'");
        }
        else if (uri.UserInfo.Length > 0)
        {
            found.Add($"{BrokerSetting} must not carry credentials; put a connection string in {ConnectionSetting} or use a managed identity");
        }
        else
        {
            fqns = uri.Host;
        }

        var connection = setting(ConnectionSetting) is { Length: > 0 } c ? c : null;
        if (connection is not null && !connection.Contains("Endpoint=", StringComparison.OrdinalIgnoreCase))
        {
            // Never echo the value: it is a secret.
            found.Add($"{ConnectionSetting} is not a Service Bus connection string (no Endpoint=)");
        }

        var topic = setting(TopicSetting) is { Length: > 0 } t ? t : ServiceBusTopology.DefaultTopic;
        var maxDeliveries = DefaultMaxDeliveries;
        if (setting(MaxDeliveriesSetting) is { Length: > 0 } text && (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out maxDeliveries) || maxDeliveries < 1))
        {
            found.Add($"{MaxDeliveriesSetting} must be a whole number of at least 1, got '{text}'");
        }

        problems = found;
        if (found.Count > 0)
        {
            return false;
        }

        settings = new ServiceBusSettings(fqns!, connection, topic, maxDeliveries);
        return true;
    }

    /// <summary>The settings without the connection string, for logs.</summary>
    public override string ToString() =>
        $"servicebus://{FullyQualifiedNamespace}/ topic {Topic} ({(ConnectionString is null ? "DefaultAzureCredential" : "connection string")}, dead-letter after {MaxDeliveries} deliveries)";
}
