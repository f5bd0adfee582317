using System.Globalization;
using System.Net.Sockets;
using System.Text;

namespace Workers.Integration.Tests;

/// <summary>
/// Unauthenticated posts of large bodies over raw sockets, as a hostile client sends them: the whole body at once,
/// no <c>Expect: 100-continue</c>, whatever the server answers meanwhile.
/// </summary>
internal static class IntakeFlood
{
    private static readonly byte[] Chunk = new byte[64 * 1024];

    /// <summary>
    /// Posts <paramref name="count"/> bodies of <paramref name="size"/> bytes at once; each outcome is the status
    /// answered, or 0 when the server closed the connection before its answer could be read (it stopped reading).
    /// </summary>
    public static async Task<IReadOnlyList<int>> PostAsync(Uri address, string path, IReadOnlyDictionary<string, string> headers, int count, long size, TimeSpan timeout) =>
        await Task.WhenAll(Enumerable.Range(0, count).Select(_ => PostOneAsync(address, path, headers, size, timeout)));

    private static async Task<int> PostOneAsync(Uri address, string path, IReadOnlyDictionary<string, string> headers, long size, TimeSpan timeout)
    {
        using var deadline = new CancellationTokenSource(timeout);
        using var client = new TcpClient();
        await client.ConnectAsync(address.Host, address.Port, deadline.Token);
        var stream = client.GetStream();
        var head = new StringBuilder()
            .Append(CultureInfo.InvariantCulture, $"POST {path} HTTP/1.1\r\nHost: {address.Authority}\r\nContent-Type: application/json\r\nContent-Length: {size}\r\n");
        foreach (var (name, value) in headers)
        {
            head.Append(CultureInfo.InvariantCulture, $"{name}: {value}\r\n");
        }

        try
        {
            await stream.WriteAsync(Encoding.ASCII.GetBytes(head.Append("\r\n").ToString()), deadline.Token);
            for (long sent = 0; sent < size; sent += Chunk.Length)
            {
                await stream.WriteAsync(Chunk.AsMemory(0, (int)Math.Min(Chunk.Length, size - sent)), deadline.Token);
            }
        }
        catch (IOException)
        {
            // Refused and closed while the body was still going out: what the answer was is read below, if it arrived.
        }

        try
        {
            var received = new List<byte>();
            var buffer = new byte[4096];
            while (received.Count < 12)
            {
                var read = await stream.ReadAsync(buffer, deadline.Token);
                if (read == 0)
                {
                    return 0;
                }

                received.AddRange(buffer.AsSpan(0, read));
            }

            return int.Parse(Encoding.ASCII.GetString([.. received]).AsSpan(9, 3), CultureInfo.InvariantCulture);
        }
        catch (IOException)
        {
            return 0;
        }
    }
}
