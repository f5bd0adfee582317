using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Testcontainers.RabbitMq;

namespace Workers.Testing;

/// <summary>
/// A RabbitMQ of its own that listens with TLS on 5671, its certificate issued by a CA the fixture makes (so no
/// system trusts it), for <c>amqps://</c> addresses.
/// </summary>
public sealed class TlsBrokerFixture : IAsyncLifetime
{
    private readonly string _directory = Directory.CreateTempSubdirectory("workers-tls-").FullName;
    private RabbitMqContainer? _rabbit;

    /// <summary>The PEM file of the CA that issued the broker's certificate.</summary>
    public string CaFile => Path.Combine(_directory, "ca.pem");

    /// <summary>An amqps:// address of the broker, with <c>?ca=</c> when <paramref name="trustTheCa"/>.</summary>
    public string Address(bool trustTheCa) =>
        $"amqps://{new Uri(Rabbit.GetConnectionString()).UserInfo}@localhost:{Rabbit.GetMappedPublicPort(5671)}/" + (trustTheCa ? $"?ca={Uri.EscapeDataString(CaFile)}" : string.Empty);

    private RabbitMqContainer Rabbit => _rabbit ?? throw new InvalidOperationException("not started");

    public async Task InitializeAsync()
    {
        var now = DateTimeOffset.UtcNow;
        using var caKey = RSA.Create(2048);
        var caRequest = new CertificateRequest("CN=workers-test-ca", caKey, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        caRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        using var ca = caRequest.CreateSelfSigned(now.AddDays(-1), now.AddDays(1));

        using var serverKey = RSA.Create(2048);
        var serverRequest = new CertificateRequest("CN=localhost", serverKey, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName("localhost");
        names.AddIpAddress(IPAddress.Loopback);
        serverRequest.CertificateExtensions.Add(names.Build());
        serverRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, false));
        serverRequest.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        using var server = serverRequest.Create(ca, now.AddDays(-1), now.AddDays(1), RandomNumberGenerator.GetBytes(16));

        await File.WriteAllTextAsync(CaFile, ca.ExportCertificatePem());
        // Copied in with mode 0644 (Testcontainers' default), so the rabbitmq user reads the key.
        var config = """
            loopback_users = none
            listeners.tcp.default = 5672
            listeners.ssl.default = 5671
            ssl_options.cacertfile = /etc/workers-tls/ca.pem
            ssl_options.certfile = /etc/workers-tls/server.pem
            ssl_options.keyfile = /etc/workers-tls/server.key
            ssl_options.verify = verify_none
            ssl_options.fail_if_no_peer_cert = false
            log.console = true
            log.console.level = info
            log.file = false

            """;
        _rabbit = new RabbitMqBuilder(TestImages.RabbitMq)
            .WithPortBinding(5671, true)
            .WithResourceMapping(Encoding.UTF8.GetBytes(config), "/etc/rabbitmq/rabbitmq.conf")
            .WithResourceMapping(Encoding.UTF8.GetBytes(ca.ExportCertificatePem()), "/etc/workers-tls/ca.pem")
            .WithResourceMapping(Encoding.UTF8.GetBytes(server.ExportCertificatePem()), "/etc/workers-tls/server.pem")
            .WithResourceMapping(Encoding.UTF8.GetBytes(serverKey.ExportPkcs8PrivateKeyPem()), "/etc/workers-tls/server.key")
            .Build();
        await TestBroker.StartAsync(_rabbit);
    }

    public async Task DisposeAsync()
    {
        if (_rabbit is not null)
        {
            await _rabbit.DisposeAsync();
        }

        Directory.Delete(_directory, recursive: true);
    }
}
