using System.Diagnostics.CodeAnalysis;
using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using RabbitMQ.Client;

namespace Workers.Transport;

/// <summary>
/// Where the bus is: <c>WORKERS_BROKER</c> as <c>rabbitmq://user:password@host:port/vhost</c> (or <c>amqp://</c>);
/// with TLS as <c>amqps://</c> (or <c>rabbitmqs://</c>, port 5671 by default), the server's certificate checked against
/// the system's trust store and its name against the host, or against a CA of one's own with <c>?ca=/path/ca.pem</c>;
/// or <c>memory</c> for MassTransit's in-memory transport inside one process. A RabbitMQ cluster is a comma-separated
/// list of its nodes in place of the one host, <c>rabbitmq://user:password@node1:5672,node2:5672,node3:5672/vhost</c>:
/// a client connects to any node that answers and, when that node goes, reconnects to a survivor.
/// </summary>
public sealed record Broker
{
    private Broker(Uri? rabbitMq, IReadOnlyList<BrokerNode> nodes, string virtualHost, string username, string password, bool tls = false, string? caFile = null, X509Certificate2Collection? ca = null) =>
        (RabbitMq, Nodes, VirtualHost, Username, Password, Tls, CaFile, _ca) = (rabbitMq, nodes, virtualHost, username, password, tls, caFile, ca);

    private readonly X509Certificate2Collection? _ca;

    /// <summary>The in-memory transport (one process).</summary>
    public static Broker InMemory { get; } = new(null, [], "/", string.Empty, string.Empty);

    /// <summary>Connect with TLS (<c>amqps://</c>).</summary>
    public bool Tls { get; }

    /// <summary>The PEM file of the CA(s) the broker's certificate must chain to, instead of the system's trust store.</summary>
    public string? CaFile { get; }

    /// <summary>The address with its first node only (a URI holds one host).</summary>
    public Uri? RabbitMq { get; }

    /// <summary>The broker's nodes in the order given: one for a single broker, several for a cluster; none in memory.</summary>
    public IReadOnlyList<BrokerNode> Nodes { get; }

    /// <summary>The first node's host: where a single broker is, and the node a client tries first in a cluster.</summary>
    public string Host => Nodes.Count > 0 ? Nodes[0].Host : string.Empty;

    /// <summary>The first node's port.</summary>
    public ushort Port => Nodes.Count > 0 ? Nodes[0].Port : (ushort)0;

    /// <summary>More than one node: MassTransit's cluster configuration, and RabbitMQ.Client's list of endpoints.</summary>
    public bool IsCluster => Nodes.Count > 1;

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

        if (text.StartsWith("servicebus://", StringComparison.OrdinalIgnoreCase))
        {
            error = $"'{Redact(text)}' is Azure Service Bus, which this program or command does not take: give it rabbitmq://user:password@host:5672/ or 'memory'";
            return false;
        }

        if (!TrySplitNodes(text, out var single, out var listed, out error))
        {
            return false;
        }

        if (!Uri.TryCreate(single, UriKind.Absolute, out var uri) || uri.Scheme is not ("rabbitmq" or "amqp" or "rabbitmqs" or "amqps") || string.IsNullOrEmpty(uri.Host))
        {
            error = $"'{Redact(text)}' is not a broker address; use rabbitmq://user:password@host:5672/, amqps://user:password@host:5671/ or 'memory'";
            return false;
        }

        var tls = uri.Scheme is "rabbitmqs" or "amqps";
        string? caFile = null;
        X509Certificate2Collection? ca = null;
        foreach (var pair in uri.Query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var (key, value) = pair.Split('=', 2) is [var k, var v] ? (k, Uri.UnescapeDataString(v)) : (pair, string.Empty);
            error = key != "ca" ? $"'{Redact(text)}': unknown broker option '{key}' (the only one is ca=/path/to/ca.pem, with amqps://)"
                : !tls ? $"'{Redact(text)}': a CA file (?ca=) needs TLS, amqps://"
                : value.Length == 0 ? $"'{Redact(text)}': ?ca= needs the path of a PEM file"
                : null;
            if (error is not null)
            {
                return false;
            }

            try
            {
                ca = [];
                ca.ImportFromPemFile(value);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or CryptographicException or ArgumentException)
            {
                error = $"'{Redact(text)}': the CA file {value} cannot be read as PEM certificates: {e.Message}";
                return false;
            }

            if (ca.Count == 0)
            {
                error = $"'{Redact(text)}': the CA file {value} holds no certificate";
                return false;
            }

            caFile = value;
        }

        var credentials = uri.UserInfo.Split(':', 2);
        var username = credentials[0].Length > 0 ? Uri.UnescapeDataString(credentials[0]) : "guest";
        var password = credentials.Length > 1 ? Uri.UnescapeDataString(credentials[1]) : "guest";
        var virtualHost = uri.AbsolutePath.Trim('/') is { Length: > 0 } path ? Uri.UnescapeDataString(path) : "/";
        var defaultPort = (ushort)(tls ? 5671 : 5672);
        var nodes = new List<BrokerNode>();
        foreach (var entry in listed ?? [uri.Authority[(uri.Authority.LastIndexOf('@') + 1)..]])
        {
            if (entry.IndexOfAny(['@', '/', '?', '#', ' ']) >= 0 || !Uri.TryCreate($"{uri.Scheme}://{entry}/", UriKind.Absolute, out var node) || string.IsNullOrEmpty(node.Host))
            {
                error = $"'{Redact(text)}': '{entry}' is not a broker node; write host or host:port, several separated by commas";
                return false;
            }

            var port = node.IsDefaultPort || node.Port <= 0 ? defaultPort : (ushort)node.Port;
            var parsed = new BrokerNode(node.Host, port);
            if (nodes.Contains(parsed))
            {
                error = $"'{Redact(text)}': the broker node {parsed} is listed twice";
                return false;
            }

            nodes.Add(parsed);
        }

        broker = new Broker(uri, nodes, virtualHost, username, password, tls, caFile, ca);
        return true;
    }

    /// <summary>
    /// A URI holds one host, so a list of nodes (<c>user:password@a:5672,b:5672/vhost</c>) is taken apart here:
    /// <paramref name="single"/> is the address with the first node only, <paramref name="nodes"/> the listed entries
    /// (null when there is one host, left to <see cref="Uri"/>).
    /// </summary>
    private static bool TrySplitNodes(string text, out string single, out string[]? nodes, [NotNullWhen(false)] out string? error)
    {
        (single, nodes, error) = (text, null, null);
        var start = text.IndexOf("://", StringComparison.Ordinal);
        if (start < 0)
        {
            return true;
        }

        start += 3;
        var end = text.IndexOfAny(['/', '?', '#'], start);
        end = end < 0 ? text.Length : end;
        var authority = text[start..end];
        var at = authority.LastIndexOf('@');
        var hosts = authority[(at + 1)..];
        if (!hosts.Contains(',', StringComparison.Ordinal))
        {
            return true;
        }

        nodes = hosts.Split(',');
        if (nodes.Any(string.IsNullOrWhiteSpace))
        {
            error = $"'{Redact(text)}': the list of broker nodes has an empty entry; write host:port,host:port,…";
            return false;
        }

        single = text[..start] + authority[..(at + 1)] + nodes[0] + text[end..];
        return true;
    }

    /// <summary>A RabbitMQ.Client connection factory for this broker (TLS as the address says), for what speaks AMQP directly.</summary>
    public ConnectionFactory ConnectionFactory(string clientName)
    {
        if (IsInMemory)
        {
            throw new InvalidOperationException("the in-memory bus has no broker to connect to");
        }

        return new ConnectionFactory
        {
            HostName = Host,
            Port = Port,
            VirtualHost = VirtualHost,
            UserName = Username,
            Password = Password,
            ClientProvidedName = clientName,
            Ssl = new SslOption
            {
                Enabled = Tls,
                ServerName = Host,
                Version = SslProtocols.Tls12 | SslProtocols.Tls13,
                CertificateValidationCallback = ValidateServerCertificate,
            },
        };
    }

    /// <summary>
    /// Every node as a RabbitMQ.Client endpoint, with the factory's TLS settings and each node's own name for the
    /// certificate check: <c>factory.CreateConnectionAsync(broker.Endpoints(factory))</c> connects to the first node
    /// that answers, and automatic recovery moves to another when it goes.
    /// </summary>
    public IReadOnlyList<AmqpTcpEndpoint> Endpoints(ConnectionFactory factory)
    {
        ArgumentNullException.ThrowIfNull(factory);
        return [.. Nodes.Select(node => new AmqpTcpEndpoint(node.Host, node.Port, new SslOption
        {
            Enabled = factory.Ssl.Enabled,
            ServerName = node.Host,
            Version = factory.Ssl.Version,
            CertificateValidationCallback = factory.Ssl.CertificateValidationCallback,
        }))];
    }

    /// <summary>Connects to the first node of <see cref="Nodes"/> that answers, with the factory's settings.</summary>
    public Task<IConnection> ConnectAsync(ConnectionFactory factory, CancellationToken cancellationToken) =>
        factory.CreateConnectionAsync(Endpoints(factory), cancellationToken);

    /// <summary>
    /// Accepts the broker's certificate when the system trusts it for this host name, or, with a CA file, when it
    /// chains to one of those CAs and names this host. Nothing else: no "accept any certificate" switch.
    /// </summary>
    public bool ValidateServerCertificate(object? sender, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors)
    {
        if (errors == SslPolicyErrors.None && _ca is null)
        {
            return true;
        }

        if (_ca is null || certificate is null || (errors & ~SslPolicyErrors.RemoteCertificateChainErrors) != SslPolicyErrors.None)
        {
            return false;
        }

        using var own = new X509Chain();
        own.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        own.ChainPolicy.CustomTrustStore.AddRange(_ca);
        own.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        own.ChainPolicy.ApplicationPolicy.Add(new Oid("1.3.6.1.5.5.7.3.1")); // serverAuth, as the system path requires
        if (chain is not null)
        {
            // Intermediates the broker sent along with its certificate.
            own.ChainPolicy.ExtraStore.AddRange(chain.ChainPolicy.ExtraStore);
        }

        using var presented = new X509Certificate2(certificate);
        return own.Build(presented);
    }

    public static Broker Parse(string? text) =>
        TryParse(text, out var broker, out var error) ? broker : throw new ArgumentException(error, nameof(text));

    /// <summary>The address without its password, for logs and messages.</summary>
    public override string ToString() => IsInMemory ? "memory" : $"{(Tls ? "amqps" : "rabbitmq")}://{Username}@{string.Join(',', Nodes)}/{VirtualHost.TrimStart('/')}";

    private static string Redact(string text) => SettingProblems.Mask(text);
}

/// <summary>One RabbitMQ node: a host name or address and its AMQP port.</summary>
public readonly record struct BrokerNode(string Host, ushort Port)
{
    /// <summary><c>host:port</c>, an IPv6 address in brackets (as MassTransit's cluster nodes are written).</summary>
    public override string ToString() => Host.Contains(':', StringComparison.Ordinal) && !Host.StartsWith('[') ? $"[{Host}]:{Port}" : $"{Host}:{Port}";
}
