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
/// or <c>memory</c> for MassTransit's in-memory transport inside one process.
/// </summary>
public sealed record Broker
{
    private Broker(Uri? rabbitMq, string host, ushort port, string virtualHost, string username, string password, bool tls = false, string? caFile = null, X509Certificate2Collection? ca = null) =>
        (RabbitMq, Host, Port, VirtualHost, Username, Password, Tls, CaFile, _ca) = (rabbitMq, host, port, virtualHost, username, password, tls, caFile, ca);

    private readonly X509Certificate2Collection? _ca;

    /// <summary>The in-memory transport (one process).</summary>
    public static Broker InMemory { get; } = new(null, string.Empty, 0, "/", string.Empty, string.Empty);

    /// <summary>Connect with TLS (<c>amqps://</c>).</summary>
    public bool Tls { get; }

    /// <summary>The PEM file of the CA(s) the broker's certificate must chain to, instead of the system's trust store.</summary>
    public string? CaFile { get; }

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

        if (!Uri.TryCreate(text, UriKind.Absolute, out var uri) || uri.Scheme is not ("rabbitmq" or "amqp" or "rabbitmqs" or "amqps") || string.IsNullOrEmpty(uri.Host))
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
        var port = uri.IsDefaultPort || uri.Port <= 0 ? (ushort)(tls ? 5671 : 5672) : (ushort)uri.Port;
        broker = new Broker(uri, uri.Host, port, virtualHost, username, password, tls, caFile, ca);
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
    public override string ToString() => IsInMemory ? "memory" : $"{(Tls ? "amqps" : "rabbitmq")}://{Username}@{Host}:{Port}/{VirtualHost.TrimStart('/')}";

    private static string Redact(string text) => text.Contains('@', StringComparison.Ordinal) ? "…@" + text[(text.LastIndexOf('@') + 1)..] : text;
}
