using System.Buffers.Binary;
using System.Net;
using System.Runtime.InteropServices;

namespace Workers.HostAgent.Runtime;

/// <summary>
/// The sockets that hold a port, asked of the kernel's <c>sock_diag</c> netlink interface, as <c>ss -l</c> asks: TCP in
/// state LISTEN, UDP bound and unconnected (state 7, as <c>/proc/net/udp</c> shows it). Reading <c>/proc/net/tcp</c>
/// makes the kernel walk its whole table of established connections, whose size follows the machine's memory and not
/// the sockets in it (about 5 ms per file on a 24 GB machine with three sockets, and far more on a host that serves
/// many connections); a dump for LISTEN alone walks only the listening sockets.
/// </summary>
internal static partial class SocketDiagnostics
{
    private const int AddressFamilyNetlink = 16;
    private const int SocketDatagram = 2;
    private const int SocketCloseOnExec = 0x80000;
    private const int NetlinkSockDiag = 4;
    private const ushort SockDiagByFamily = 20;
    private const ushort RequestDump = 0x1 | 0x300;
    private const ushort MessageError = 2;
    private const ushort MessageDone = 3;
    private const int HeaderLength = 16;
    private const int RequestLength = HeaderLength + 56;
    private const byte Inet = 2;
    private const byte Inet6 = 10;
    private const byte Tcp = 6;
    private const byte Udp = 17;
    private const uint TcpListen = 1u << 10;
    private const uint UdpUnconnected = 1u << 7;

    /// <summary>
    /// Every listening TCP socket and bound, unconnected UDP socket of this network namespace, IPv4 and IPv6, as its
    /// local address, port and protocol ("tcp" or "udp"); null when the kernel cannot be asked this way (not Linux, or
    /// netlink refused), and the caller reads <c>/proc</c> instead.
    /// </summary>
    public static List<(IPAddress Local, int Port, string Protocol)>? Listening()
    {
        if (!OperatingSystem.IsLinux())
        {
            return null;
        }

        int socket;
        try
        {
            socket = OpenSocket(AddressFamilyNetlink, SocketDatagram | SocketCloseOnExec, NetlinkSockDiag);
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            // A C library that cannot be loaded by that name: /proc says the same, only slower.
            return null;
        }

        if (socket < 0)
        {
            return null;
        }

        try
        {
            var found = new List<(IPAddress, int, string)>();
            var buffer = new byte[64 * 1024];
            uint sequence = 0;
            foreach (var (family, protocol, states, name) in new[] { (Inet, Tcp, TcpListen, "tcp"), (Inet6, Tcp, TcpListen, "tcp"), (Inet, Udp, UdpUnconnected, "udp"), (Inet6, Udp, UdpUnconnected, "udp") })
            {
                if (!Dump(socket, ++sequence, family, protocol, states, buffer, name, found))
                {
                    return null;
                }
            }

            return found;
        }
        finally
        {
            _ = CloseSocket(socket);
        }
    }

    /// <summary>One dump request and its answers; false when the kernel answered with an error or not at all.</summary>
    private static bool Dump(int socket, uint sequence, byte family, byte protocol, uint states, byte[] buffer, string name, List<(IPAddress, int, string)> found)
    {
        // struct nlmsghdr, then struct inet_diag_req_v2 with an empty inet_diag_sockid: every socket in those states.
        Span<byte> request = stackalloc byte[RequestLength];
        request.Clear();
        BinaryPrimitives.WriteUInt32LittleEndian(request, RequestLength);
        BinaryPrimitives.WriteUInt16LittleEndian(request[4..], SockDiagByFamily);
        BinaryPrimitives.WriteUInt16LittleEndian(request[6..], RequestDump);
        BinaryPrimitives.WriteUInt32LittleEndian(request[8..], sequence);
        request[HeaderLength] = family;
        request[HeaderLength + 1] = protocol;
        BinaryPrimitives.WriteUInt32LittleEndian(request[(HeaderLength + 4)..], states);
        if (Send(socket, request, RequestLength, 0) != RequestLength)
        {
            return false;
        }

        while (true)
        {
            var received = (int)Receive(socket, buffer, buffer.Length, 0);
            if (received <= 0)
            {
                return false;
            }

            for (var offset = 0; offset + HeaderLength <= received;)
            {
                var length = (int)BinaryPrimitives.ReadUInt32LittleEndian(buffer.AsSpan(offset));
                var type = BinaryPrimitives.ReadUInt16LittleEndian(buffer.AsSpan(offset + 4));
                if (length < HeaderLength || offset + length > received)
                {
                    return false;
                }

                if (type == MessageDone)
                {
                    return true;
                }

                if (type == MessageError)
                {
                    return false;
                }

                // struct inet_diag_msg: family, state, timer, retrans, then inet_diag_sockid (source port and address in
                // network order at 4 and 8), 72 bytes in all.
                var message = buffer.AsSpan(offset + HeaderLength, length - HeaderLength);
                if (type == SockDiagByFamily && message.Length >= 72 && BinaryPrimitives.ReadUInt16BigEndian(message[4..]) is > 0 and var port)
                {
                    found.Add((new IPAddress(message.Slice(8, message[0] == Inet6 ? 16 : 4)), port, name));
                }

                offset += (length + 3) & ~3;
            }
        }
    }

    [LibraryImport("libc", EntryPoint = "socket", SetLastError = true)]
    private static partial int OpenSocket(int domain, int type, int protocol);

    [LibraryImport("libc", EntryPoint = "send", SetLastError = true)]
    private static partial nint Send(int socket, ReadOnlySpan<byte> buffer, nint length, int flags);

    [LibraryImport("libc", EntryPoint = "recv", SetLastError = true)]
    private static partial nint Receive(int socket, Span<byte> buffer, nint length, int flags);

    [LibraryImport("libc", EntryPoint = "close")]
    private static partial int CloseSocket(int socket);
}
