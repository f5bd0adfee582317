using System.Text.RegularExpressions;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace Workers.Contracts.Spec.Documents;

/// <summary>Reads one YAML document into a <see cref="Node"/> tree without ever expanding aliases.</summary>
internal static partial class YamlDocumentReader
{
    public static Node? Read(string text, ProblemList problems)
    {
        if (!IsPrintable(text, problems))
        {
            return null;
        }

        var builder = new TreeBuilder(problems);
        var anchors = new Dictionary<string, Node>(StringComparer.Ordinal);
        var parser = new Parser(new StringReader(text));
        var documents = 0;
        var (line, column) = (1, 1);
        try
        {
            while (parser.MoveNext())
            {
                var current = parser.Current!;
                (line, column) = Position(current.Start);
                switch (current)
                {
                    case DocumentStart when ++documents > 1:
                        problems.Add(line, column, SpecPath.Root, "document.multiple", "a spec file holds one YAML document; remove the second '---' or split the file");
                        return null;
                    case Scalar scalar:
                        var node = new ScalarNode(line, column, scalar.Value, Resolve(scalar));
                        builder.Value(node);
                        Remember(anchors, scalar.Anchor, node);
                        break;
                    case AnchorAlias alias:
                        if (!anchors.TryGetValue(alias.Value.Value, out var target))
                        {
                            problems.Add(line, column, SpecPath.Root, "document.alias", $"alias '*{alias.Value.Value}' refers to no anchor defined before it");
                            return null;
                        }

                        builder.Value(target);
                        break;
                    case MappingStart mapping:
                        if (!builder.Open(new MappingNode(line, column), AnchorOf(mapping.Anchor)))
                        {
                            return null;
                        }

                        break;
                    case SequenceStart sequence:
                        if (!builder.Open(new SequenceNode(line, column), AnchorOf(sequence.Anchor)))
                        {
                            return null;
                        }

                        break;
                    case MappingEnd or SequenceEnd:
                        if (!builder.Close(out var completed))
                        {
                            return null;
                        }

                        if (completed is { } anchor)
                        {
                            anchors[anchor.Anchor] = anchor.Node;
                        }

                        break;
                }
            }
        }
        catch (YamlException e)
        {
            if (e.Message.Contains("tab", StringComparison.OrdinalIgnoreCase) && IndentingTab(text) is { } tab)
            {
                // YamlDotNet reports a tab in the indentation at the start of the enclosing block (often 1:1), in its
                // own words: point at the tab itself and say what to do.
                problems.Add(tab.Line, tab.Column, SpecPath.Root, "document.syntax", "not valid YAML: a tab indents this line; YAML indents with spaces only");
                return null;
            }

            var (errorLine, errorColumn) = Position(e.Start);
            problems.Add(errorLine, errorColumn, SpecPath.Root, "document.syntax", $"not valid YAML: {Describe(e)}");
            return null;
        }
        catch (Exception e) when (e is InvalidOperationException or ArgumentException)
        {
            // YamlDotNet throws these (not YamlException) for some malformed input: a scalar cut short by a flow
            // indicator, a tag that is not a URI, an escape that is not a character. Report them as syntax errors at
            // the last event that was read.
            problems.Add(line, column, SpecPath.Root, "document.syntax", "not valid YAML: the document cannot be read past this point");
            return null;
        }

        return builder.Root;
    }

    /// <summary>
    /// YAML admits only printable characters (c-printable); the scanner would otherwise take a NUL for the end of a
    /// line or of the document and silently drop what follows it.
    /// </summary>
    private static bool IsPrintable(string text, ProblemList problems)
    {
        var (line, column) = (1, 1);
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (c == '\n')
            {
                (line, column) = (line + 1, 1);
                continue;
            }

            if (c is (< ' ' and not '\t' and not '\r') or (>= '\u007F' and < '\u00A0' and not '\u0085') or '\uFFFE' or '\uFFFF')
            {
                problems.Add(line, column, SpecPath.Root, "document.syntax", $"not valid YAML: the control character U+{(int)c:X4} is not allowed in a YAML document");
                return false;
            }

            column++;
        }

        return true;
    }

    /// <summary>The first tab in a line's leading whitespace, where YAML allows only spaces, as its line and column.</summary>
    private static (int Line, int Column)? IndentingTab(string text)
    {
        var lines = text.Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i];
            for (var j = 0; j < line.Length && line[j] is ' ' or '\t'; j++)
            {
                if (line[j] == '\t' && line.AsSpan(j).TrimStart(" \t\r").Length > 0)
                {
                    return (i + 1, j + 1);
                }
            }
        }

        return null;
    }

    private static void Remember(Dictionary<string, Node> anchors, AnchorName anchor, Node node)
    {
        if (!anchor.IsEmpty)
        {
            anchors[anchor.Value] = node;
        }
    }

    private static string? AnchorOf(AnchorName anchor) => anchor.IsEmpty ? null : anchor.Value;

    private static (int Line, int Column) Position(Mark mark) =>
        ((int)Math.Clamp(mark.Line, 0, int.MaxValue), (int)Math.Clamp(mark.Column, 0, int.MaxValue));

    private static string Describe(YamlException e)
    {
        // YamlDotNet prefixes its messages with the position, which the problem states already.
        var message = PositionPrefix().Replace(e.Message, string.Empty);
        return message.Length > 200 ? message[..200] + "…" : message;
    }

    /// <summary>YAML 1.2 core schema: what an untagged plain scalar is.</summary>
    private static ScalarKind Resolve(Scalar scalar)
    {
        if (scalar.Style != ScalarStyle.Plain)
        {
            return ScalarKind.String;
        }

        return !scalar.Tag.IsEmpty && scalar.Tag.Value.EndsWith(":str", StringComparison.Ordinal)
            ? ScalarKind.String
            : ResolvePlain(scalar.Value);
    }

    private static ScalarKind ResolvePlain(string value) => value switch
    {
        "" or "~" or "null" or "Null" or "NULL" => ScalarKind.Null,
        "true" or "True" or "TRUE" or "false" or "False" or "FALSE" => ScalarKind.Boolean,
        _ when NumberPattern().IsMatch(value) => ScalarKind.Number,
        _ => ScalarKind.String,
    };

    [GeneratedRegex(@"^([-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+|[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?|[-+]?\.(inf|Inf|INF)|\.(nan|NaN|NAN))$", RegexOptions.CultureInvariant)]
    private static partial Regex NumberPattern();

    [GeneratedRegex(@"^\(Line: \d+, Col: \d+, Idx: \d+\) - \(Line: \d+, Col: \d+, Idx: \d+\): ", RegexOptions.CultureInvariant)]
    private static partial Regex PositionPrefix();
}
