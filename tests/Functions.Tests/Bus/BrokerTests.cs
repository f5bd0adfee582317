using Workers.Transport;

namespace Workers.Functions.Tests.Bus;

/// <summary>WORKERS_BROKER addresses: plain, TLS, and what is refused with a message saying why.</summary>
public sealed class BrokerTests
{
    [Fact]
    public void TryParse_Amqps_UsesTlsOnPort5671AndTheSystemTrustStore()
    {
        Assert.True(Broker.TryParse("amqps://alice:s3cret@broker.example/workers", out var broker, out _));

        Assert.Equal((true, "broker.example", (ushort)5671, "workers", (string?)null), (broker.Tls, broker.Host, broker.Port, broker.VirtualHost, broker.CaFile));
        Assert.True(broker.ConnectionFactory("test").Ssl.Enabled);
        Assert.Equal("amqps://alice@broker.example:5671/workers", broker.ToString());
    }

    [Fact]
    public void TryParse_Rabbitmq_IsPlainOn5672()
    {
        Assert.True(Broker.TryParse("rabbitmq://guest:guest@localhost/", out var broker, out _));

        Assert.Equal((false, (ushort)5672), (broker.Tls, broker.Port));
        Assert.False(broker.ConnectionFactory("test").Ssl.Enabled);
    }

    [Fact]
    public void TryParse_CaFileThatIsNotACertificate_IsRefusedNamingIt()
    {
        var file = Path.GetTempFileName();
        try
        {
            File.WriteAllText(file, "not a certificate");

            Assert.False(Broker.TryParse($"amqps://u:p@host/?ca={Uri.EscapeDataString(file)}", out _, out var error));

            Assert.Contains(file, error, StringComparison.Ordinal);
            Assert.DoesNotContain("u:p", error, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Theory]
    [InlineData("rabbitmq://u:p@host/?ca=/etc/ca.pem", "needs TLS")]
    [InlineData("amqps://u:p@host/?insecure=true", "unknown broker option 'insecure'")]
    [InlineData("amqps://u:p@host/?ca=", "needs the path of a PEM file")]
    [InlineData("http://u:p@host/", "is not a broker address")]
    public void TryParse_OptionsItDoesNotKnowOrCannotHonour_AreRefusedNotIgnored(string address, string expected)
    {
        Assert.False(Broker.TryParse(address, out _, out var error));

        Assert.Contains(expected, error, StringComparison.Ordinal);
        Assert.DoesNotContain(":p@", error, StringComparison.Ordinal);
    }
}
