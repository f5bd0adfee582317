using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Workers.HostAgent.Tests.Support;

/// <summary>One request as the fake engine received it: method, target (path and query, undecoded) and body.</summary>
public sealed record FakeRequest(string Method, string Target, string Body)
{
    /// <summary>The path without the query.</summary>
    public string Path => Target.Split('?')[0];

    /// <summary>A query parameter, decoded, or null.</summary>
    public string? Query(string name) => Target.Split('?') is [_, var query]
        ? query.Split('&').Select(pair => pair.Split('=', 2)).Where(pair => pair[0] == name).Select(pair => Uri.UnescapeDataString(pair[1])).FirstOrDefault()
        : null;
}

/// <summary>
/// A Docker engine over TCP that answers as each test scripts it, one request per connection (every answer closes its
/// connection), connections served concurrently so a stream held open does not block the next call.
/// </summary>
public sealed class FakeDockerEngine : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly Func<FakeExchange, Task> _answer;
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentQueue<FakeRequest> _requests = new();
    private readonly ConcurrentBag<Task> _connections = [];
    private readonly Task _accepting;

    private FakeDockerEngine(Func<FakeExchange, Task> answer)
    {
        _answer = answer;
        _listener.Start();
        _accepting = AcceptAsync();
    }

    public Uri Endpoint => new($"tcp://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}");

    /// <summary>The requests received so far, in order of arrival.</summary>
    public IReadOnlyList<FakeRequest> Requests => [.. _requests];

    /// <summary>An engine that answers <c>GET /version</c> with <paramref name="apiVersion"/> and everything else through <paramref name="answer"/>.</summary>
    public static FakeDockerEngine Start(Func<FakeExchange, Task> answer, string apiVersion = "1.41") =>
        new(exchange => exchange.Request.Path == "/version"
            ? exchange.JsonAsync(200, $$"""{"Version":"20.10.24","ApiVersion":"{{apiVersion}}","MinAPIVersion":"1.12"}""")
            : answer(exchange));

    /// <summary>One multiplexed-stream frame: the 8-byte header and the payload.</summary>
    public static byte[] Frame(byte stream, string text)
    {
        var payload = Encoding.UTF8.GetBytes(text);
        var frame = new byte[8 + payload.Length];
        frame[0] = stream;
        BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(4), (uint)payload.Length);
        payload.CopyTo(frame, 8);
        return frame;
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        try
        {
            await _accepting;
        }
        catch (OperationCanceledException)
        {
            // Stopped while waiting for a connection.
        }

        foreach (var connection in _connections)
        {
            try
            {
                await connection;
            }
            catch (Exception exception) when (exception is IOException or OperationCanceledException or SocketException)
            {
                // A client that went away, or the stop.
            }
        }

        _stop.Dispose();
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            var client = await _listener.AcceptTcpClientAsync(_stop.Token);
            _connections.Add(Task.Run(() => ServeAsync(client)));
        }
    }

    private async Task ServeAsync(TcpClient client)
    {
        using (client)
        {
            var stream = client.GetStream();
            var request = await ReadRequestAsync(stream, _stop.Token);
            _requests.Enqueue(request);
            await _answer(new FakeExchange(request, stream, _stop.Token));
            await stream.FlushAsync(_stop.Token);
        }
    }

    private static async Task<FakeRequest> ReadRequestAsync(NetworkStream stream, CancellationToken cancellationToken)
    {
        var received = new List<byte>();
        var buffer = new byte[4096];
        int headEnd;
        while ((headEnd = IndexOfHeadEnd(received)) < 0)
        {
            var read = await stream.ReadAsync(buffer, cancellationToken);
            if (read == 0)
            {
                throw new IOException("the client closed the connection before its request was complete");
            }

            received.AddRange(buffer.AsSpan(0, read));
        }

        var head = Encoding.ASCII.GetString([.. received.Take(headEnd)]).Split("\r\n");
        var length = head.Skip(1)
            .Select(line => line.Split(':', 2))
            .Where(header => header[0].Equals("Content-Length", StringComparison.OrdinalIgnoreCase))
            .Select(header => int.Parse(header[1].Trim(), CultureInfo.InvariantCulture))
            .FirstOrDefault();
        while (received.Count < headEnd + 4 + length)
        {
            var read = await stream.ReadAsync(buffer, cancellationToken);
            if (read == 0)
            {
                throw new IOException("the client closed the connection before its body was complete");
            }

            received.AddRange(buffer.AsSpan(0, read));
        }

        var requestLine = head[0].Split(' ');
        return new FakeRequest(requestLine[0], requestLine[1], Encoding.UTF8.GetString([.. received.Skip(headEnd + 4).Take(length)]));
    }

    private static int IndexOfHeadEnd(List<byte> received)
    {
        for (var i = 0; i + 3 < received.Count; i++)
        {
            if (received[i] == '\r' && received[i + 1] == '\n' && received[i + 2] == '\r' && received[i + 3] == '\n')
            {
                return i;
            }
        }

        return -1;
    }
}

/// <summary>A request and the means to answer it: whole, chunked, or (as the engine answers an exec) until the connection closes.</summary>
public sealed class FakeExchange(FakeRequest request, NetworkStream stream, CancellationToken cancellationToken)
{
    public FakeRequest Request => request;

    public Task JsonAsync(int status, string json)
    {
        var body = Encoding.UTF8.GetBytes(json);
        return WriteAsync([.. Head(status, $"Content-Type: application/json\r\nContent-Length: {body.Length}"), .. body]);
    }

    public Task StatusAsync(int status) => WriteAsync(Head(status, "Content-Length: 0"));

    public Task StartChunkedAsync(string contentType) =>
        WriteAsync(Head(200, $"Content-Type: {contentType}\r\nTransfer-Encoding: chunked"));

    public Task ChunkAsync(byte[] data) =>
        WriteAsync([.. Encoding.ASCII.GetBytes($"{data.Length:x}\r\n"), .. data, .. "\r\n"u8]);

    public Task EndChunkedAsync() => WriteAsync("0\r\n\r\n"u8.ToArray());

    /// <summary>A 200 with neither a length nor chunks: the body is whatever comes until the connection closes.</summary>
    public Task StartUntilCloseAsync(string contentType) =>
        WriteAsync(Encoding.ASCII.GetBytes($"HTTP/1.1 200 OK\r\nContent-Type: {contentType}\r\n\r\n"));

    public async Task WriteAsync(byte[] data)
    {
        await stream.WriteAsync(data, cancellationToken);
        await stream.FlushAsync(cancellationToken);
    }

    private static byte[] Head(int status, string headers) =>
        Encoding.ASCII.GetBytes($"HTTP/1.1 {status} Fake\r\n{headers}\r\nConnection: close\r\n\r\n");
}
