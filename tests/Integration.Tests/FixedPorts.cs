using System.Net;
using System.Net.Sockets;

namespace Workers.Integration.Tests;

/// <summary>
/// Fixed host ports for specs that ask for one. Never from the kernel's ephemeral range (32768–60999 here), where
/// Docker gives Testcontainers' brokers their published ports: a spec's fixed port there can collide with one.
/// </summary>
internal static class FixedPorts
{
    /// <summary>A port in 10000–19999 (below Workers' dynamic range) that nothing listens on right now.</summary>
    public static int Free()
    {
        for (var attempt = 0; attempt < 100; attempt++)
        {
            var port = Random.Shared.Next(10000, 20000);
            try
            {
                using var probe = new TcpListener(IPAddress.Any, port);
                probe.Start();
                probe.Stop();
                return port;
            }
            catch (SocketException)
            {
                // Taken: try another.
            }
        }

        throw new InvalidOperationException("no free port in 10000-19999 after 100 tries");
    }
}
