using System.Net;
using System.Net.Sockets;
using Workers.HostAgent.Runtime;

namespace Workers.HostAgent.Tests.Runtime;

public sealed class ListeningPortsTests : IDisposable
{
    private const string Header =
        "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n";

    private const string Tail = " 00000000:00000000 00:00000000 00000000     0        0 12345 1 0000000000000000 100 0 0 10 0\n";

    private readonly string _procRoot = Directory.CreateTempSubdirectory("workers-proc-").FullName;

    public ListeningPortsTests()
    {
        Directory.CreateDirectory(Path.Combine(_procRoot, "net"));
        Write("tcp",
            Header
            + "   0: 0100007F:1F90 00000000:0000 0A" + Tail           // 127.0.0.1:8080 LISTEN
            + "   1: 00000000:0016 00000000:0000 0A" + Tail           // 0.0.0.0:22 LISTEN
            + "   2: 0200007F:0050 00000000:0000 0A" + Tail           // 127.0.0.2:80 LISTEN
            + "   3: 0100007F:1F91 0100007F:A000 01" + Tail           // 127.0.0.1:8081 ESTABLISHED
            + "   4: 0A01A8C0:0BB8 00000000:0000 0A" + Tail           // 192.168.1.10:3000 LISTEN
            + "   5: 0100007F:1F95 00000000:0000 06" + Tail           // 127.0.0.1:8085 TIME_WAIT
            + "this is not a socket line\n"
            + "   6: ZZZZZZZZ:0050 00000000:0000 0A" + Tail           // bad address
            + "   7: 0100007F:GGGG 00000000:0000 0A" + Tail           // bad port
            + "   8: 0100007F 00000000:0000 0A" + Tail                // no port
            + "   9: 0100007F:1F96\n"                                 // truncated
            + "\n");
        Write("tcp6",
            Header
            + "   0: 00000000000000000000000000000000:1F92 00000000000000000000000000000000:0000 0A" + Tail // [::]:8082
            + "   1: 00000000000000000000000001000000:1F93 00000000000000000000000000000000:0000 0A" + Tail // [::1]:8083
            + "   2: 0000000000000000FFFF00000100007F:1F94 00000000000000000000000000000000:0000 0A" + Tail // [::ffff:127.0.0.1]:8084
            + "   3: B80D0120000000000000000005000000:01BB 00000000000000000000000000000000:0000 0A" + Tail // [2001:db8::5]:443
            + "   4: 00000000000000000000000000000000:1F97 00000000000000000000000000000000:0000 01" + Tail // [::]:8087 ESTABLISHED
            + "   5: 0000000000000000000000000000:1F98 00000000000000000000000000000000:0000 0A" + Tail);   // short address
        Write("udp",
            Header
            + "  10: 00000000:0035 00000000:0000 07" + Tail           // 0.0.0.0:53 bound
            + "  11: 0100007F:007B 0100007F:0035 01" + Tail           // 127.0.0.1:123 connected
            + "  12: 0100007F:2328 00000000:0000 0A" + Tail);         // 127.0.0.1:9000, LISTEN is not a UDP state
        // No udp6: a missing table contributes nothing.
    }

    public void Dispose() => Directory.Delete(_procRoot, recursive: true);

    [Fact]
    public void Taken_SpecificAddress_CountsItsOwnAndWildcardSockets()
    {
        var taken = new ListeningPorts(_procRoot).Taken("127.0.0.1");

        Assert.Equal(
            Sorted(Tcp(8080), Tcp(22), Tcp(8082), Tcp(8084), Udp(53)),
            Sorted(taken));
    }

    [Fact]
    public void Taken_WildcardBind_CountsEveryListener()
    {
        var taken = new ListeningPorts(_procRoot).Taken("0.0.0.0");

        Assert.Equal(
            Sorted(Tcp(8080), Tcp(22), Tcp(80), Tcp(3000), Tcp(8082), Tcp(8083), Tcp(8084), Tcp(443), Udp(53)),
            Sorted(taken));
    }

    [Fact]
    public void Taken_OtherIPv4Address_IgnoresLoopbackListeners()
    {
        var taken = new ListeningPorts(_procRoot).Taken("192.168.1.10");

        Assert.Equal(Sorted(Tcp(22), Tcp(3000), Tcp(8082), Udp(53)), Sorted(taken));
    }

    [Fact]
    public void Taken_IPv6Address_MatchesIPv6Sockets()
    {
        Assert.Equal(
            Sorted(Tcp(22), Tcp(8082), Tcp(443), Udp(53)),
            Sorted(new ListeningPorts(_procRoot).Taken("2001:db8::5")));
        Assert.Equal(
            Sorted(Tcp(22), Tcp(8082), Tcp(8083), Udp(53)),
            Sorted(new ListeningPorts(_procRoot).Taken(IPAddress.IPv6Loopback)));
    }

    [Fact]
    public void Taken_NoTables_IsEmpty()
    {
        var empty = Directory.CreateTempSubdirectory("workers-proc-empty-").FullName;
        try
        {
            Assert.Empty(new ListeningPorts(empty).Taken("0.0.0.0"));
        }
        finally
        {
            Directory.Delete(empty, recursive: true);
        }
    }

    [Fact]
    public void Taken_NotAnAddress_Throws()
    {
        Assert.Throws<ArgumentException>(() => new ListeningPorts(_procRoot).Taken("localhost"));
    }

    [Theory]
    [InlineData("0100007F", "127.0.0.1")]
    [InlineData("00000000", "0.0.0.0")]
    [InlineData("0A01A8C0", "192.168.1.10")]
    [InlineData("00000000000000000000000001000000", "::1")]
    [InlineData("B80D0120000000000000000005000000", "2001:db8::5")]
    [InlineData("0000000000000000FFFF00000100007F", "::ffff:127.0.0.1")]
    public void TryParseAddress_KernelHex_IsNetworkOrderAddress(string hex, string expected)
    {
        Assert.True(ListeningPorts.TryParseAddress(hex, out var address));
        Assert.Equal(IPAddress.Parse(expected), address);
    }

    [Theory]
    [InlineData("")]
    [InlineData("0100007")]
    [InlineData("0100007F0")]
    [InlineData("XY00007F")]
    public void TryParseAddress_Malformed_IsFalse(string hex)
    {
        Assert.False(ListeningPorts.TryParseAddress(hex, out _));
    }

    [Fact]
    public void Taken_RealProc_ReportsAnOpenLoopbackListener()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        var proc = new ListeningPorts();

        Assert.Contains(new TakenPort(port, "tcp"), proc.Taken("127.0.0.1"));
        Assert.Contains(new TakenPort(port, "tcp"), proc.Taken("0.0.0.0"));
        Assert.DoesNotContain(new TakenPort(port, "tcp"), proc.Taken("127.0.0.2"));
        Assert.DoesNotContain(new TakenPort(port, "udp"), proc.Taken("0.0.0.0"));
    }

    [Fact]
    public void Taken_RealProc_ReportsABoundUdpSocket()
    {
        using var socket = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        var port = ((IPEndPoint)socket.Client.LocalEndPoint!).Port;

        Assert.Contains(new TakenPort(port, "udp"), new ListeningPorts().Taken("127.0.0.1"));
        Assert.DoesNotContain(new TakenPort(port, "udp"), new ListeningPorts().Taken("127.0.0.2"));
    }

    [Fact]
    public void Taken_AskingTheKernel_CountsWhatTheProcTablesCount_ForTheSocketsOfThisTest()
    {
        using var loopback = new TcpListener(IPAddress.Loopback, 0);
        loopback.Start();
        using var wildcard = new TcpListener(IPAddress.IPv6Any, 0);
        wildcard.Server.DualMode = true;
        wildcard.Start();
        using var elsewhere = new TcpListener(IPAddress.Parse("127.0.0.2"), 0);
        elsewhere.Start();
        using var bound = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        using var connected = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        connected.Connect(IPAddress.Loopback, ((IPEndPoint)bound.Client.LocalEndPoint!).Port);
        var counted = new[] { Tcp(Port(loopback.LocalEndpoint)), Tcp(Port(wildcard.LocalEndpoint)), Udp(Port(bound.Client.LocalEndPoint!)) };
        var notCounted = new[] { Tcp(Port(elsewhere.LocalEndpoint)), Udp(Port(connected.Client.LocalEndPoint!)) };

        Assert.True(SocketDiagnostics.Listening() is not null, "the kernel's sock_diag netlink interface did not answer");
        var kernel = new ListeningPorts().Taken("127.0.0.1");
        var proc = new ListeningPorts("/proc").Taken("127.0.0.1");

        foreach (var port in counted)
        {
            Assert.Contains(port, kernel);
            Assert.Contains(port, proc);
        }

        foreach (var port in notCounted)
        {
            Assert.DoesNotContain(port, kernel);
            Assert.DoesNotContain(port, proc);
        }
    }

    private static int Port(EndPoint endpoint) => ((IPEndPoint)endpoint).Port;

    private static TakenPort Tcp(int port) => new(port, "tcp");

    private static TakenPort Udp(int port) => new(port, "udp");

    private static List<TakenPort> Sorted(params IEnumerable<TakenPort> ports) =>
        [.. ports.OrderBy(port => port.Protocol, StringComparer.Ordinal).ThenBy(port => port.Port)];

    private void Write(string table, string content) =>
        File.WriteAllText(Path.Combine(_procRoot, "net", table), content);
}
