using System.Text;
using Workers.Contracts.Messages;

namespace Workers.HostAgent.Runtime;

/// <summary>
/// Turns the engine's demultiplexed log output (with timestamps) into a bounded chunk of lines: each stream's bytes are
/// split at line ends, each line's timestamp read off its front, lines at or before the cursor dropped, and the chunk
/// closed once it holds <see cref="LogsRead.MaxLines"/> lines or about <see cref="LogsRead.MaxBytes"/> of text.
/// </summary>
public sealed class LogChunk(LogsRead read)
{
    private readonly List<LogLine> _lines = [];
    private readonly Dictionary<string, List<byte>> _pending = new(StringComparer.Ordinal);
    private LogCursor? _last;
    private int _bytes;

    /// <summary>True once the chunk is full: stop reading, there is more.</summary>
    public bool Full { get; private set; }

    /// <summary>Takes what the engine sent on <paramref name="stream"/> (<c>stdout</c> or <c>stderr</c>).</summary>
    public void Add(string stream, ReadOnlySpan<byte> bytes)
    {
        if (!_pending.TryGetValue(stream, out var pending))
        {
            _pending[stream] = pending = [];
        }

        while (!Full && bytes.Length > 0)
        {
            var end = bytes.IndexOf((byte)'\n');
            if (end < 0)
            {
                pending.AddRange(bytes);
                return;
            }

            pending.AddRange(bytes[..end]);
            bytes = bytes[(end + 1)..];
            Take(stream, pending);
            pending.Clear();
        }
    }

    /// <summary>The chunk, once the output has ended (a last line without its line end counts) or the chunk is full.</summary>
    public ContainerLogs Finish(bool running)
    {
        foreach (var (stream, pending) in _pending)
        {
            if (!Full && pending.Count > 0)
            {
                Take(stream, pending);
            }
        }

        return new ContainerLogs(_lines, _last ?? read.After, Full, running);
    }

    private void Take(string stream, List<byte> line)
    {
        var text = Encoding.UTF8.GetString([.. line]).TrimEnd('\r');
        var space = text.IndexOf(' ', StringComparison.Ordinal);
        if (!LogCursor.TryParse(space < 0 ? text : text[..space], out var at) || at is null)
        {
            // Every line the engine sends with timestamps starts with one; without it the line cannot be placed.
            return;
        }

        if (read.After is { } after && at.CompareTo(after) <= 0)
        {
            return;
        }

        text = space < 0 ? string.Empty : text[(space + 1)..];
        var size = Encoding.UTF8.GetByteCount(text);
        if (_lines.Count > 0 && _bytes + size > read.MaxBytes)
        {
            Full = true;
            return;
        }

        if (size > read.MaxBytes)
        {
            text = Truncate(text, read.MaxBytes);
            size = read.MaxBytes;
        }

        _lines.Add(new LogLine(at.At, stream, text));
        _last = at;
        _bytes += size;
        Full = _lines.Count >= read.MaxLines || _bytes >= read.MaxBytes;
    }

    private static string Truncate(string text, int bytes)
    {
        var length = Math.Min(text.Length, bytes);
        while (Encoding.UTF8.GetByteCount(text.AsSpan(0, length)) > bytes)
        {
            length--;
        }

        return char.IsHighSurrogate(text[length - 1]) ? text[..(length - 1)] : text[..length];
    }
}
