using System.Text;
using Workers.DockerEngine;
using Workers.HostAgent.Tests.Support;

namespace Workers.HostAgent.Tests.Engine;

/// <summary>The engine's multiplexed output format, read from a stream that hands out a few bytes per read.</summary>
public sealed class DockerMultiplexedStreamTests
{
    [Fact]
    public async Task ReadOutput_FramesSplitAcrossReads_YieldsEachPayloadWholeOnItsStream()
    {
        var body = Concat(FakeDockerEngine.Frame(1, "hello\n"), FakeDockerEngine.Frame(2, "oops\n"), FakeDockerEngine.Frame(1, "bye"));
        using var stream = new DockerMultiplexedStream(new TrickleStream(body, bytesPerRead: 3), multiplexed: true);

        var output = await ReadAllAsync(stream);

        Assert.Equal("hello\nbye", output[DockerStreamTarget.StandardOutput]);
        Assert.Equal("oops\n", output[DockerStreamTarget.StandardError]);
    }

    [Fact]
    public async Task ReadOutput_SystemErrFrame_ThrowsAnIOExceptionWithTheEnginesWords()
    {
        var body = Concat(FakeDockerEngine.Frame(1, "line-0\n"), FakeDockerEngine.Frame(3, "Error grabbing logs: unexpected EOF\n"));
        using var stream = new DockerMultiplexedStream(new TrickleStream(body, bytesPerRead: 5), multiplexed: true);

        var failure = await Assert.ThrowsAsync<IOException>(() => ReadAllAsync(stream));

        Assert.EndsWith("Error grabbing logs: unexpected EOF", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ReadOutput_StreamEndsInsideAFrame_ThrowsEndOfStream()
    {
        var frame = FakeDockerEngine.Frame(1, "truncated payload");
        using var stream = new DockerMultiplexedStream(new TrickleStream(frame[..12], bytesPerRead: 4), multiplexed: true);

        await Assert.ThrowsAsync<EndOfStreamException>(() => ReadAllAsync(stream));
    }

    [Fact]
    public async Task ReadOutput_TtyOutput_IsReadRawAsStdout()
    {
        using var stream = new DockerMultiplexedStream(new TrickleStream("\u0001raw tty output\n"u8.ToArray(), bytesPerRead: 4), multiplexed: false);

        var output = await ReadAllAsync(stream);

        Assert.Equal("\u0001raw tty output\n", output[DockerStreamTarget.StandardOutput]);
        Assert.False(output.ContainsKey(DockerStreamTarget.StandardError));
    }

    private static async Task<Dictionary<DockerStreamTarget, string>> ReadAllAsync(DockerMultiplexedStream stream)
    {
        var collected = new Dictionary<DockerStreamTarget, MemoryStream>();
        var buffer = new byte[64];
        while (await stream.ReadOutputAsync(buffer, CancellationToken.None) is { EndOfStream: false } read)
        {
            if (!collected.TryGetValue(read.Target, out var target))
            {
                collected[read.Target] = target = new MemoryStream();
            }

            target.Write(buffer, 0, read.Count);
        }

        return collected.ToDictionary(pair => pair.Key, pair => Encoding.UTF8.GetString(pair.Value.ToArray()));
    }

    private static byte[] Concat(params byte[][] parts) => [.. parts.SelectMany(part => part)];

    /// <summary>Hands out at most a few bytes per read, as a network stream may.</summary>
    private sealed class TrickleStream(byte[] data, int bytesPerRead) : Stream
    {
        private int _position;

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => data.Length;

        public override long Position
        {
            get => _position;
            set => throw new NotSupportedException();
        }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            var count = Math.Min(Math.Min(buffer.Length, bytesPerRead), data.Length - _position);
            data.AsSpan(_position, count).CopyTo(buffer);
            _position += count;
            return count;
        }

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            ValueTask.FromResult(Read(buffer.Span));

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
