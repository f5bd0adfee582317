using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using Workers.HostAgent.Runtime;

namespace Workers.HostAgent.Tests.Runtime;

/// <summary>
/// A logs read against an engine that breaks off with an error of its own, as Engine 20.10 does on a failed json-file
/// read (moby#41820): a frame on its "systemerr" stream (type 3) after a 200. Served by a fake engine over TCP, since a
/// real one cannot be made to fail on demand.
/// </summary>
public sealed class DockerLogsTests
{
    private const string ContainerId = "c0ffee0000010000";

    [Fact]
    public async Task ReadLogs_EngineBreaksOffOnce_ReadsAgainAndReturnsTheWholeChunk()
    {
        await using var engine = FakeEngine.Start(
            Frames((1, "2026-11-27T16:41:25.100000000Z line-0\n"), (3, "Error grabbing logs: unexpected EOF\n")),
            Frames((1, "2026-11-27T16:41:25.100000000Z line-0\n"), (2, "2026-11-27T16:41:25.200000000Z warn-1\n")));
        using var runtime = new DockerContainerRuntime(engine.Endpoint, NullLogger<DockerContainerRuntime>.Instance);

        var logs = await runtime.ReadLogsAsync(ContainerId, new LogsRead(2, null, null, 100, 64 * 1024), CancellationToken.None);

        Assert.NotNull(logs);
        Assert.Equal(["stdout line-0", "stderr warn-1"], logs.Lines.Select(l => $"{l.Stream} {l.Text}"));
        Assert.Equal(2, engine.LogReads);
    }

    [Fact]
    public async Task ReadLogs_EngineBreaksOffTwice_FailsSayingSoRatherThanAnsweringWithWhatItGot()
    {
        var broken = Frames((1, "2026-11-27T16:41:25.100000000Z line-0\n"), (3, "Error grabbing logs: unexpected EOF\n"));
        await using var engine = FakeEngine.Start(broken, broken);
        using var runtime = new DockerContainerRuntime(engine.Endpoint, NullLogger<DockerContainerRuntime>.Instance);

        var failure = await Assert.ThrowsAsync<IOException>(() => runtime.ReadLogsAsync(ContainerId, new LogsRead(2, null, null, 100, 64 * 1024), CancellationToken.None));

        Assert.StartsWith("the engine broke off reading the logs of c0ffee000001 twice: ", failure.Message, StringComparison.Ordinal);
        Assert.Equal(2, engine.LogReads);
    }

    private static byte[] Frames(params (byte Stream, string Text)[] frames)
    {
        using var body = new MemoryStream();
        foreach (var (stream, text) in frames)
        {
            var payload = Encoding.UTF8.GetBytes(text);
            var header = new byte[8];
            header[0] = stream;
            BinaryPrimitives.WriteUInt32BigEndian(header.AsSpan(4), (uint)payload.Length);
            body.Write(header);
            body.Write(payload);
        }

        return body.ToArray();
    }

    /// <summary>
    /// Answers <c>GET /version</c>, the container's inspect and its logs (one body per read, in order), one request per
    /// connection.
    /// </summary>
    private sealed class FakeEngine : IAsyncDisposable
    {
        private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
        private readonly Queue<byte[]> _logBodies;
        private readonly CancellationTokenSource _stop = new();
        private readonly Task _serving;
        private int _logReads;

        private FakeEngine(IEnumerable<byte[]> logBodies)
        {
            _logBodies = new Queue<byte[]>(logBodies);
            _listener.Start();
            _serving = ServeAsync();
        }

        public Uri Endpoint => new($"tcp://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}");

        public int LogReads => Volatile.Read(ref _logReads);

        public static FakeEngine Start(params byte[][] logBodies) => new(logBodies);

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            _listener.Stop();
            try
            {
                await _serving;
            }
            catch (OperationCanceledException)
            {
                // Stopped while waiting for a connection.
            }

            _stop.Dispose();
        }

        private async Task ServeAsync()
        {
            while (!_stop.IsCancellationRequested)
            {
                using var connection = await _listener.AcceptTcpClientAsync(_stop.Token);
                await using var stream = connection.GetStream();
                var target = await ReadRequestTargetAsync(stream);
                var (contentType, body) = target switch
                {
                    _ when target.StartsWith("/version", StringComparison.Ordinal) =>
                        ("application/json", Encoding.UTF8.GetBytes("""{"Version":"20.10.24","ApiVersion":"1.41","MinAPIVersion":"1.12"}""")),
                    _ when target.Contains("/logs", StringComparison.Ordinal) => ("application/vnd.docker.multiplexed-stream", NextLogBody()),
                    _ => ("application/json", Encoding.UTF8.GetBytes($$$"""{"Id":"{{{ContainerId}}}","Config":{"Tty":false},"State":{"Running":true}}""")),
                };
                // Chunked, as the engine streams: the client reads a logs body no other way.
                var head = $"HTTP/1.1 200 OK\r\nContent-Type: {contentType}\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n{body.Length:x}\r\n";
                await stream.WriteAsync(Encoding.ASCII.GetBytes(head), _stop.Token);
                await stream.WriteAsync(body, _stop.Token);
                await stream.WriteAsync("\r\n0\r\n\r\n"u8.ToArray(), _stop.Token);
            }
        }

        private byte[] NextLogBody()
        {
            Interlocked.Increment(ref _logReads);
            return _logBodies.Dequeue();
        }

        private async Task<string> ReadRequestTargetAsync(NetworkStream stream)
        {
            var request = new StringBuilder();
            var buffer = new byte[4096];
            while (!request.ToString().Contains("\r\n\r\n", StringComparison.Ordinal))
            {
                var read = await stream.ReadAsync(buffer, _stop.Token);
                if (read == 0)
                {
                    break;
                }

                request.Append(Encoding.ASCII.GetString(buffer, 0, read));
            }

            var requestLine = request.ToString().Split("\r\n")[0].Split(' ');
            return requestLine.Length > 1 ? requestLine[1] : string.Empty;
        }
    }
}
