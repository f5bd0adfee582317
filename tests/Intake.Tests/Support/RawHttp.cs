using System.Globalization;
using System.Net.Sockets;
using System.Text;

namespace Workers.Intake.Tests.Support;

/// <summary>
/// One HTTP/1.1 request over a raw socket, as a hostile client sends it: headers announcing a body that may be sent
/// late, slowly or never, with no <c>Expect: 100-continue</c>.
/// </summary>
internal sealed class RawHttp : IAsyncDisposable
{
    private readonly TcpClient _client;
    private readonly NetworkStream _stream;

    private RawHttp(TcpClient client) => (_client, _stream) = (client, client.GetStream());

    /// <summary>Connects to <paramref name="address"/> and sends the request line and headers only.</summary>
    public static async Task<RawHttp> SendHeadAsync(Uri address, string path, long contentLength, IReadOnlyDictionary<string, string> headers)
    {
        var client = new TcpClient();
        await client.ConnectAsync(address.Host, address.Port);
        var raw = new RawHttp(client);
        var head = new StringBuilder()
            .Append(CultureInfo.InvariantCulture, $"POST {path} HTTP/1.1\r\nHost: {address.Authority}\r\nContent-Type: application/json\r\nContent-Length: {contentLength}\r\n");
        foreach (var (name, value) in headers)
        {
            head.Append(CultureInfo.InvariantCulture, $"{name}: {value}\r\n");
        }

        await raw._stream.WriteAsync(Encoding.ASCII.GetBytes(head.Append("\r\n").ToString()));
        return raw;
    }

    public Task SendAsync(ReadOnlyMemory<byte> bytes) => _stream.WriteAsync(bytes).AsTask();

    /// <summary>The status code and headers of the response, or a failure when none arrives by <paramref name="timeout"/>.</summary>
    public async Task<(int Status, string Head)> ReadResponseHeadAsync(TimeSpan timeout)
    {
        using var deadline = new CancellationTokenSource(timeout);
        var received = new List<byte>();
        var buffer = new byte[4096];
        while (!Encoding.ASCII.GetString([.. received]).Contains("\r\n\r\n", StringComparison.Ordinal))
        {
            var read = await _stream.ReadAsync(buffer, deadline.Token);
            if (read == 0)
            {
                throw new IOException("the connection closed before a response head arrived");
            }

            received.AddRange(buffer.AsSpan(0, read));
        }

        var head = Encoding.ASCII.GetString([.. received]);
        return (int.Parse(head.AsSpan(9, 3), CultureInfo.InvariantCulture), head[..head.IndexOf("\r\n\r\n", StringComparison.Ordinal)]);
    }

    public ValueTask DisposeAsync()
    {
        _client.Dispose();
        return ValueTask.CompletedTask;
    }
}
