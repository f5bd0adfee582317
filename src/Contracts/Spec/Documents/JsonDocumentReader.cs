using System.Text;
using System.Text.Json;

namespace Workers.Contracts.Spec.Documents;

/// <summary>Reads a JSON document into the same <see cref="Node"/> tree as YAML, with line and column of every token.</summary>
internal static class JsonDocumentReader
{
    public static Node? Read(ReadOnlySpan<byte> utf8, ProblemList problems)
    {
        var lines = new LineMap(utf8);
        var builder = new TreeBuilder(problems);
        var reader = new Utf8JsonReader(utf8, new JsonReaderOptions
        {
            CommentHandling = JsonCommentHandling.Skip,
            MaxDepth = DocumentLimits.MaxDepth + 1,
        });
        var (line, column) = (1, 1);
        try
        {
            while (reader.Read())
            {
                (line, column) = lines.Position(utf8, (int)reader.TokenStartIndex);
                switch (reader.TokenType)
                {
                    case JsonTokenType.StartObject when !builder.Open(new MappingNode(line, column)):
                    case JsonTokenType.StartArray when !builder.Open(new SequenceNode(line, column)):
                    case JsonTokenType.EndObject or JsonTokenType.EndArray when !builder.Close(out _):
                        return null;
                    case JsonTokenType.PropertyName or JsonTokenType.String:
                        builder.Value(new ScalarNode(line, column, reader.GetString()!, ScalarKind.String));
                        break;
                    case JsonTokenType.Number:
                        builder.Value(new ScalarNode(line, column, Encoding.UTF8.GetString(reader.ValueSpan), ScalarKind.Number));
                        break;
                    case JsonTokenType.True or JsonTokenType.False:
                        builder.Value(new ScalarNode(line, column, reader.GetBoolean() ? "true" : "false", ScalarKind.Boolean));
                        break;
                    case JsonTokenType.Null:
                        builder.Value(new ScalarNode(line, column, string.Empty, ScalarKind.Null));
                        break;
                }
            }
        }
        catch (JsonException e)
        {
            var errorLine = (int)(e.LineNumber ?? 0);
            problems.Add(errorLine + 1, lines.Column(utf8, errorLine, (int)(e.BytePositionInLine ?? 0)), SpecPath.Root, "document.syntax", $"not valid JSON: {Describe(e)}");
            return null;
        }
        catch (InvalidOperationException)
        {
            // GetString refuses a \u escape that leaves a surrogate unpaired (valid JSON syntax, but not text).
            problems.Add(line, column, SpecPath.Root, "document.syntax", "not valid JSON: a string holds a \\u escape of an unpaired surrogate");
            return null;
        }

        return builder.Root;
    }

    private static string Describe(JsonException e)
    {
        // System.Text.Json appends "LineNumber: ... | BytePositionInLine: ...", which the problem states already.
        var message = e.Message;
        var cut = message.IndexOf(" LineNumber:", StringComparison.Ordinal);
        return (cut > 0 ? message[..cut] : message).TrimEnd('.', ' ');
    }

    /// <summary>Maps byte offsets to 1-based line and column (in characters, not bytes).</summary>
    private sealed class LineMap
    {
        private readonly List<int> _starts = [0];

        public LineMap(ReadOnlySpan<byte> utf8)
        {
            for (var i = 0; i < utf8.Length; i++)
            {
                if (utf8[i] == (byte)'\n')
                {
                    _starts.Add(i + 1);
                }
            }
        }

        /// <summary>The 1-based character column of a byte position within a 0-based line (as JSON exceptions give them).</summary>
        public int Column(ReadOnlySpan<byte> utf8, int line, int bytePositionInLine)
        {
            if (line < 0 || line >= _starts.Count)
            {
                return bytePositionInLine + 1;
            }

            var start = _starts[line];
            var end = Math.Min(start + Math.Max(bytePositionInLine, 0), utf8.Length);
            var column = 1;
            for (var i = start; i < end; i++)
            {
                if ((utf8[i] & 0xC0) != 0x80)
                {
                    column++;
                }
            }

            return column;
        }

        private int _lastLine = -1;
        private int _lastOffset;
        private int _lastColumn;

        /// <summary>Tokens come in order, so each call counts only from the previous token: linear in the document.</summary>
        public (int Line, int Column) Position(ReadOnlySpan<byte> utf8, int offset)
        {
            var index = _starts.BinarySearch(offset);
            var line = index >= 0 ? index : ~index - 1;
            var (from, column) = line == _lastLine && offset >= _lastOffset ? (_lastOffset, _lastColumn) : (_starts[line], 1);
            for (var i = from; i < offset && i < utf8.Length; i++)
            {
                // Count characters: UTF-8 continuation bytes (10xxxxxx) do not start one.
                if ((utf8[i] & 0xC0) != 0x80)
                {
                    column++;
                }
            }

            (_lastLine, _lastOffset, _lastColumn) = (line, offset, column);
            return (line + 1, column);
        }
    }
}
