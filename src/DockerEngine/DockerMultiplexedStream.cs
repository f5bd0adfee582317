using System.Buffers.Binary;
using System.Text;

namespace Workers.DockerEngine;

/// <summary>Which of a container's streams a read came from.</summary>
public enum DockerStreamTarget
{
    StandardInput = 0,
    StandardOutput = 1,
    StandardError = 2,
}

/// <summary>One read of a <see cref="DockerMultiplexedStream"/>: <see cref="Count"/> bytes of <see cref="Target"/>; 0 at the end.</summary>
public readonly record struct DockerStreamRead(DockerStreamTarget Target, int Count)
{
    /// <summary>The output has ended.</summary>
    public bool EndOfStream => Count == 0;
}

/// <summary>
/// The output of a container without a TTY (logs, an exec), as the engine multiplexes it: frames of an 8-byte header
/// (stream type, three zero bytes, big-endian payload length) and the payload. Type 3 ("systemerr") is the engine's own
/// error after it has already answered 200, e.g. a log file it failed to read; it ends the read with an
/// <see cref="IOException"/> carrying the engine's words. A TTY container's output is one raw stream, read as stdout.
/// </summary>
public sealed class DockerMultiplexedStream : IDisposable
{
    /// <summary>The most of a systemerr frame kept for the error message.</summary>
    private const int MaxSystemErrorLength = 64 * 1024;

    private readonly Stream _stream;
    private readonly bool _multiplexed;
    private readonly IDisposable? _owner;
    private readonly byte[] _header = new byte[8];
    private DockerStreamTarget _target;
    private int _remaining;

    /// <param name="stream">The response body.</param>
    /// <param name="multiplexed">False for a TTY container's raw output.</param>
    public DockerMultiplexedStream(Stream stream, bool multiplexed)
        : this(stream, multiplexed, owner: null)
    {
    }

    internal DockerMultiplexedStream(Stream stream, bool multiplexed, IDisposable? owner)
    {
        ArgumentNullException.ThrowIfNull(stream);
        _stream = stream;
        _multiplexed = multiplexed;
        _owner = owner;
    }

    /// <summary>Reads at most <paramref name="buffer"/>'s length of one stream's output; <see cref="DockerStreamRead.EndOfStream"/> at the end.</summary>
    /// <exception cref="IOException">The engine reported an error on its systemerr stream, sent an unknown frame, or the stream ended mid-frame.</exception>
    public async ValueTask<DockerStreamRead> ReadOutputAsync(Memory<byte> buffer, CancellationToken cancellationToken)
    {
        if (buffer.IsEmpty)
        {
            throw new ArgumentException("the buffer is empty", nameof(buffer));
        }

        if (!_multiplexed)
        {
            return new DockerStreamRead(DockerStreamTarget.StandardOutput, await _stream.ReadAsync(buffer, cancellationToken));
        }

        while (_remaining == 0)
        {
            if (!await FillAsync(_header, allowEnd: true, cancellationToken))
            {
                return default;
            }

            var length = BinaryPrimitives.ReadUInt32BigEndian(_header.AsSpan(4));
            if (length > int.MaxValue)
            {
                throw new IOException($"the engine sent a frame of {length} bytes");
            }

            switch (_header[0])
            {
                case <= 2:
                    _target = (DockerStreamTarget)_header[0];
                    _remaining = (int)length;
                    break;
                case 3:
                    throw new IOException(await ReadSystemErrorAsync((int)length, cancellationToken));
                default:
                    throw new IOException($"the engine sent a frame of unknown stream type {_header[0]}");
            }
        }

        var read = await _stream.ReadAsync(buffer[..Math.Min(buffer.Length, _remaining)], cancellationToken);
        if (read == 0)
        {
            throw new EndOfStreamException($"the engine's output ended {_remaining} bytes before the end of a frame");
        }

        _remaining -= read;
        return new DockerStreamRead(_target, read);
    }

    public void Dispose()
    {
        _stream.Dispose();
        _owner?.Dispose();
    }

    private async Task<string> ReadSystemErrorAsync(int length, CancellationToken cancellationToken)
    {
        var payload = new byte[Math.Min(length, MaxSystemErrorLength)];
        await FillAsync(payload, allowEnd: false, cancellationToken);
        return $"the engine reported an error in its output: {Encoding.UTF8.GetString(payload).Trim()}";
    }

    /// <returns>False when the stream ended before the first byte and <paramref name="allowEnd"/>.</returns>
    private async Task<bool> FillAsync(Memory<byte> target, bool allowEnd, CancellationToken cancellationToken)
    {
        for (var filled = 0; filled < target.Length;)
        {
            var read = await _stream.ReadAsync(target[filled..], cancellationToken);
            if (read == 0)
            {
                if (filled == 0 && allowEnd)
                {
                    return false;
                }

                throw new EndOfStreamException("the engine's output ended in the middle of a frame");
            }

            filled += read;
        }

        return true;
    }
}
