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
    [InlineData("servicebus://u:p@ns.servicebus.windows.net/", "is Azure Service Bus, which this program or command does not take")]
    public void TryParse_OptionsItDoesNotKnowOrCannotHonour_AreRefusedNotIgnored(string address, string expected)
    {
        Assert.False(Broker.TryParse(address, out _, out var error));

        Assert.Contains(expected, error, StringComparison.Ordinal);
        Assert.DoesNotContain(":p@", error, StringComparison.Ordinal);
    }

    [Fact]
    public void TryParse_ListOfHosts_BecomesTheClustersNodesInOrder()
    {
        Assert.True(Broker.TryParse("rabbitmq://alice:s3cret@node1:5673,node2,10.0.0.3:5675/workers", out var broker, out var error), error);

        Assert.Equal([new BrokerNode("node1", 5673), new BrokerNode("node2", 5672), new BrokerNode("10.0.0.3", 5675)], broker.Nodes);
        Assert.Equal((true, "node1", (ushort)5673, "workers", "alice", "s3cret"), (broker.IsCluster, broker.Host, broker.Port, broker.VirtualHost, broker.Username, broker.Password));
        Assert.Equal("rabbitmq://alice@node1:5673,node2:5672,10.0.0.3:5675/workers", broker.ToString());
    }

    [Fact]
    public void TryParse_AmqpsCluster_DefaultsEachNodeTo5671AndChecksEachNodesOwnName()
    {
        Assert.True(Broker.TryParse("amqps://u:p@a.example,b.example:5999/", out var broker, out var error), error);

        var endpoints = broker.Endpoints(broker.ConnectionFactory("test"));

        Assert.Equal([("a.example", 5671, "a.example", true), ("b.example", 5999, "b.example", true)], endpoints.Select(e => (e.HostName, e.Port, e.Ssl.ServerName, e.Ssl.Enabled)));
    }

    [Fact]
    public void TryParse_OneHost_IsOneNodeAndNotACluster()
    {
        Assert.True(Broker.TryParse("rabbitmq://u:p@localhost:5673/", out var broker, out _));

        Assert.Equal([new BrokerNode("localhost", 5673)], broker.Nodes);
        Assert.False(broker.IsCluster);
        Assert.Equal([("localhost", 5673)], broker.Endpoints(broker.ConnectionFactory("test")).Select(e => (e.HostName, e.Port)));
    }

    [Fact]
    public void TryParse_PasswordWithCommaAndAt_IsNotTakenForANodeList()
    {
        Assert.True(Broker.TryParse("rabbitmq://u:a,b%40c@node1:5672,node2:5672/", out var broker, out var error), error);

        Assert.Equal(("a,b@c", 2), (broker.Password, broker.Nodes.Count));
    }

    [Theory]
    [InlineData("rabbitmq://u:p@node1:5672,,node3:5672/", "has an empty entry")]
    [InlineData("rabbitmq://u:p@node1:5672,/", "has an empty entry")]
    [InlineData("rabbitmq://u:p@node1:5672,node2:notaport/", "'node2:notaport' is not a broker node")]
    [InlineData("rabbitmq://u:p@node1:5672,node2:70000/", "'node2:70000' is not a broker node")]
    [InlineData("rabbitmq://u:p@node1:5672,node1:5672/", "node1:5672 is listed twice")]
    [InlineData("rabbitmq://u:p@node1,node1:5672/", "node1:5672 is listed twice")]
    public void TryParse_NodeListThatIsMalformed_IsRefusedNamingTheEntry(string address, string expected)
    {
        Assert.False(Broker.TryParse(address, out _, out var error));

        Assert.Contains(expected, error, StringComparison.Ordinal);
        Assert.DoesNotContain(":p@", error, StringComparison.Ordinal);
    }
}
