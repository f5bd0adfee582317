using System.Diagnostics.CodeAnalysis;

namespace Workers.Transport;

/// <summary>
/// Where the bus is: <c>WORKERS_BROKER</c> as <c>rabbitmq://user:password@host:port/vhost</c> (or <c>amqp://</c>),
/// or <c>memory</c> for MassTransit's in-memory transport inside one process.
/// </summary>
public sealed record Broker
{
    private Broker(Uri? rabbitMq, string host, ushort port, string virtualHost, string username, string password) =>
        (RabbitMq, Host, Port, VirtualHost, Username, Password) = (rabbitMq, host, port, virtualHost, username, password);

    /// <summary>The in-memory transport (one process).</summary>
    public static Broker InMemory { get; } = new(null, string.Empty, 0, "/", string.Empty, string.Empty);

    public Uri? RabbitMq { get; }

    public string Host { get; }

    public ushort Port { get; }

    public string VirtualHost { get; }

    public string Username { get; }

    public string Password { get; }

    public bool IsInMemory => RabbitMq is null;

    public static bool TryParse(string? text, [NotNullWhen(true)] out Broker? broker, [NotNullWhen(false)] out string? error)
    {
        (broker, error) = (null, null);
        if (string.IsNullOrWhiteSpace(text) || text is "memory" or "inmemory")
        {
            broker = InMemory;
            return true;
        }

        if (!Uri.TryCreate(text, UriKind.Absolute, out var uri) || uri.Scheme is not ("rabbitmq" or "amqp") || string.IsNullOrEmpty(uri.Host))
        {
            error = $"'{Redact(text)}' is not a broker address; use rabbitmq://user:password@host:5672/ or 'memory'";
            return false;
        }

        var credentials = uri.UserInfo.Split(':', 2);
        var username = credentials[0].Length > 0 ? Uri.UnescapeDataString(credentials[0]) : "guest";
        var password = credentials.Length > 1 ? Uri.UnescapeDataString(credentials[1]) : "guest";
        var virtualHost = uri.AbsolutePath.Trim('/') is { Length: > 0 } path ? Uri.UnescapeDataString(path) : "/";
        var port = uri.IsDefaultPort || uri.Port <= 0 ? (ushort)5672 : (ushort)uri.Port;
        broker = new Broker(uri, uri.Host, port, virtualHost, username, password);
        return true;
    }

    public static Broker Parse(string? text) =>
        TryParse(text, out var broker, out var error) ? broker : throw new ArgumentException(error, nameof(text));

    /// <summary>The address without its password, for logs and messages.</summary>
    public override string ToString() => IsInMemory ? "memory" : $"rabbitmq://{Username}@{Host}:{Port}/{VirtualHost.TrimStart('/')}";

    private static string Redact(string text) => text.Contains('@', StringComparison.Ordinal) ? "…@" + text[(text.LastIndexOf('@') + 1)..] : text;
}
