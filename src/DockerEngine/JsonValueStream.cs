using System.Runtime.CompilerServices;
using System.Text.Json.Serialization.Metadata;

namespace Workers.DockerEngine;

/// <summary>
/// A stream of JSON values one after another (the engine's events and pull progress), each handed on as soon as its
/// last byte has arrived, whatever the chunking. <c>JsonSerializer.DeserializeAsyncEnumerable</c> is not used: it
/// fills its buffer before it parses, which would hold an event back until more had come.
/// </summary>
internal static class JsonValueStream
{
    /// <summary>The largest single value accepted: the engine's objects are small.</summary>
    private const int MaxValueLength = 16 * 1024 * 1024;

    public static async IAsyncEnumerable<T> ReadAsync<T>(
        Stream stream, JsonTypeInfo<T> typeInfo, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var buffer = new byte[16 * 1024];
        var start = 0;
        var end = 0;
        while (true)
        {
            while (TryFindValue(buffer.AsSpan(start, end - start), out var valueStart, out var valueEnd))
            {
                var value = JsonSerializer.Deserialize(buffer.AsSpan(start + valueStart, valueEnd - valueStart), typeInfo);
                start += valueEnd;
                if (value is not null)
                {
                    yield return value;
                }
            }

            if (start > 0)
            {
                buffer.AsSpan(start, end - start).CopyTo(buffer);
                end -= start;
                start = 0;
            }

            if (end == buffer.Length)
            {
                if (buffer.Length >= MaxValueLength)
                {
                    throw new InvalidDataException($"the engine sent a JSON value longer than {MaxValueLength} bytes");
                }

                Array.Resize(ref buffer, buffer.Length * 2);
            }

            var read = await stream.ReadAsync(buffer.AsMemory(end), cancellationToken);
            if (read == 0)
            {
                if (!IsWhitespace(buffer.AsSpan(0, end)))
                {
                    throw new EndOfStreamException("the engine's stream ended in the middle of a JSON value");
                }

                yield break;
            }

            end += read;
        }
    }

    /// <summary>Finds the first complete value in <paramref name="data"/>; false when it has not fully arrived.</summary>
    private static bool TryFindValue(ReadOnlySpan<byte> data, out int valueStart, out int valueEnd)
    {
        valueStart = valueEnd = 0;
        var reader = new Utf8JsonReader(data, isFinalBlock: false, state: default);
        if (!reader.Read())
        {
            return false;
        }

        var start = (int)reader.TokenStartIndex;
        if (reader.TokenType is JsonTokenType.StartObject or JsonTokenType.StartArray && !reader.TrySkip())
        {
            return false;
        }

        valueStart = start;
        valueEnd = (int)reader.BytesConsumed;
        return true;
    }

    private static bool IsWhitespace(ReadOnlySpan<byte> data) => data.IndexOfAnyExcept(" \t\r\n"u8) < 0;
}
