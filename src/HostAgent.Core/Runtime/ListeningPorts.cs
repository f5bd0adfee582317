using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Workers.HostAgent.Runtime;

/// <summary>A host port in use: <paramref name="Protocol"/> is "tcp" or "udp".</summary>
public readonly record struct TakenPort(int Port, string Protocol);

/// <summary>
/// The host ports already taken in the agent's network namespace: asked of the kernel (<see cref="SocketDiagnostics"/>),
/// else read from <c>/proc/net/{tcp,tcp6,udp,udp6}</c>.
/// </summary>
/// <remarks>
/// TCP sockets count in state LISTEN (0A), UDP sockets when bound and unconnected (07). A socket takes a port for a
/// bind address when it is bound to that address or to the wildcard (0.0.0.0, ::); for the wildcard bind address
/// every socket counts. Lines that cannot be parsed are skipped; a missing file (no IPv6) contributes nothing.
/// </remarks>
public sealed class ListeningPorts
{
    private const string TcpListen = "0A";
    private const string UdpUnconnected = "07";

    private static readonly (string File, string Protocol, string State)[] Tables =
    [
        ("tcp", "tcp", TcpListen),
        ("tcp6", "tcp", TcpListen),
        ("udp", "udp", UdpUnconnected),
        ("udp6", "udp", UdpUnconnected),
    ];

    private readonly string _procRoot;
    private readonly bool _askKernel;

    /// <summary>
    /// Asks the kernel (<see cref="SocketDiagnostics"/>, a walk of the listening sockets alone), and reads the real
    /// <c>/proc</c> when it cannot be asked that way.
    /// </summary>
    public ListeningPorts()
        : this("/proc") => _askKernel = true;

    /// <param name="procRoot">The directory standing for <c>/proc</c> (its <c>net/</c> holds the tables), read always.</param>
    public ListeningPorts(string procRoot)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(procRoot);
        _procRoot = procRoot;
    }

    /// <summary>The ports taken for <paramref name="bindAddress"/> (an IP address in text).</summary>
    public IReadOnlySet<TakenPort> Taken(string bindAddress)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(bindAddress);
        if (!IPAddress.TryParse(bindAddress, out var address))
        {
            throw new ArgumentException($"'{bindAddress}' is not an IP address", nameof(bindAddress));
        }

        return Taken(address);
    }

    /// <summary>The ports taken for <paramref name="bindAddress"/>.</summary>
    public IReadOnlySet<TakenPort> Taken(IPAddress bindAddress)
    {
        ArgumentNullException.ThrowIfNull(bindAddress);
        var bind = Normalize(bindAddress);
        var taken = new HashSet<TakenPort>();
        foreach (var (local, port, protocol) in (_askKernel ? SocketDiagnostics.Listening() : null) ?? FromProc())
        {
            if (Blocks(local, bind))
            {
                taken.Add(new TakenPort(port, protocol));
            }
        }

        return taken;
    }

    /// <summary>The sockets the <c>/proc/net</c> tables list in the state that takes a port.</summary>
    private IEnumerable<(IPAddress Local, int Port, string Protocol)> FromProc()
    {
        foreach (var (file, protocol, state) in Tables)
        {
            var path = Path.Combine(_procRoot, "net", file);
            string[] lines;
            try
            {
                lines = File.ReadAllLines(path);
            }
            catch (Exception exception) when (exception is FileNotFoundException or DirectoryNotFoundException)
            {
                // No such table (e.g. IPv6 disabled): nothing listens there.
                continue;
            }

            foreach (var line in lines)
            {
                if (TryParseLine(line, state, out var local, out var port))
                {
                    yield return (local, port, protocol);
                }
            }
        }
    }

    /// <summary>
    /// Parses one table row (<c>sl local_address rem_address st ...</c>); true when its state is <paramref name="wantedState"/>.
    /// </summary>
    internal static bool TryParseLine(string line, string wantedState, out IPAddress local, out int port)
    {
        local = IPAddress.None;
        port = 0;
        var fields = line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
        if (fields.Length < 4 || !fields[0].EndsWith(':'))
        {
            return false; // the header, or garbage
        }

        if (!string.Equals(fields[3], wantedState, StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        var colon = fields[1].IndexOf(':', StringComparison.Ordinal);
        if (colon < 0
            || !int.TryParse(fields[1].AsSpan(colon + 1), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out port)
            || port is < 1 or > 65535)
        {
            return false;
        }

        if (!TryParseAddress(fields[1].AsSpan(0, colon), out local))
        {
            port = 0;
            return false;
        }

        return true;
    }

    /// <summary>
    /// The kernel prints an address as 32-bit words in host byte order (<c>%08X</c> each): 8 hex digits for IPv4,
    /// 32 for IPv6. Undo the word byte order to get network order.
    /// </summary>
    internal static bool TryParseAddress(ReadOnlySpan<char> hex, out IPAddress address)
    {
        address = IPAddress.None;
        if (hex.Length is not (8 or 32))
        {
            return false;
        }

        var bytes = new byte[hex.Length / 2];
        for (var word = 0; word < bytes.Length / 4; word++)
        {
            if (!uint.TryParse(hex.Slice(word * 8, 8), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var value))
            {
                return false;
            }

            // The printed value is the word read in host order, so writing it back in host order yields the
            // address bytes as they sit in memory, i.e. in network order.
            BitConverter.TryWriteBytes(bytes.AsSpan(word * 4, 4), value);
        }

        address = new IPAddress(bytes);
        return true;
    }

    private static bool Blocks(IPAddress local, IPAddress bind)
    {
        if (IsWildcard(bind))
        {
            return true;
        }

        var normalized = Normalize(local);
        return IsWildcard(normalized) || normalized.Equals(bind);
    }

    private static bool IsWildcard(IPAddress address) =>
        address.Equals(IPAddress.Any) || address.Equals(IPAddress.IPv6Any);

    /// <summary>IPv4-mapped IPv6 addresses (::ffff:a.b.c.d) compare as their IPv4 address.</summary>
    private static IPAddress Normalize(IPAddress address) =>
        address.AddressFamily == AddressFamily.InterNetworkV6 && address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;
}
