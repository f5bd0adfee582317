using System.Text;
using Workers.Contracts.Spec.Documents;

namespace Workers.Contracts.Spec;

/// <summary>
/// Turns a YAML or JSON document into a <see cref="DeploymentSpec"/>, or into every problem it has, each with its
/// file, line, column and path. It never throws for bad input and its cost is bounded by the 1 MiB size limit.
/// </summary>
public static class SpecParser
{
    /// <summary>Documents larger than this (1 MiB) are refused unread.</summary>
    public const int MaxBytes = DocumentLimits.MaxBytes;

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>Parses a document given as text.</summary>
    /// <param name="text">The document.</param>
    /// <param name="file">The name to report problems against.</param>
    /// <param name="format">The syntax, or <see cref="SpecFormat.Auto"/>.</param>
    public static SpecParseResult Parse(string text, string file, SpecFormat format = SpecFormat.Auto)
    {
        ArgumentNullException.ThrowIfNull(text);
        return Parse(Encoding.UTF8.GetBytes(text), file, format);
    }

    /// <summary>Parses a document given as UTF-8 bytes (a byte order mark is allowed).</summary>
    /// <param name="utf8">The document.</param>
    /// <param name="file">The name to report problems against.</param>
    /// <param name="format">The syntax, or <see cref="SpecFormat.Auto"/>.</param>
    public static SpecParseResult Parse(ReadOnlySpan<byte> utf8, string file, SpecFormat format = SpecFormat.Auto)
    {
        ArgumentNullException.ThrowIfNull(file);
        var problems = new ProblemList(file);
        var root = Read(utf8, file, format, problems);
        if (root is null)
        {
            return SpecParseResult.Invalid(problems.ToList());
        }

        var reader = new SpecReader(problems);
        var spec = reader.Read(root);
        return spec is not null && !problems.Any ? SpecParseResult.Valid(spec, file, reader.Locations) : SpecParseResult.Invalid(problems.ToList());
    }

    private static Node? Read(ReadOnlySpan<byte> utf8, string file, SpecFormat format, ProblemList problems)
    {
        if (utf8.Length > MaxBytes)
        {
            problems.Add(1, 1, SpecPath.Root, "document.too-large", $"the document is larger than {MaxBytes:N0} bytes (1 MiB), the most a spec may be");
            return null;
        }

        if (utf8.StartsWith("\uFEFF"u8))
        {
            utf8 = utf8[3..];
        }

        if (!TryDecode(utf8, problems, out var text))
        {
            return null;
        }

        var root = string.IsNullOrWhiteSpace(text)
            ? null
            : ResolveFormat(format, file, text) == SpecFormat.Json
                ? JsonDocumentReader.Read(utf8, problems)
                : YamlDocumentReader.Read(text, problems);
        if (root is null or ScalarNode { Kind: ScalarKind.Null } && !problems.Any)
        {
            problems.Add(root?.Line ?? 1, root?.Column ?? 1, SpecPath.Root, "document.empty", "the document is empty; a spec needs at least 'name' and 'image'");
            return null;
        }

        // The readers return no tree after a fatal problem (syntax, depth, aliases); a tree that comes with problems
        // (a duplicate key, whose second value is dropped) is still read, so that every other problem is reported too.
        return root;
    }

    private static SpecFormat ResolveFormat(SpecFormat format, string file, string text)
    {
        if (format != SpecFormat.Auto)
        {
            return format;
        }

        var extension = Path.GetExtension(file);
        if (extension.Equals(".json", StringComparison.OrdinalIgnoreCase))
        {
            return SpecFormat.Json;
        }

        if (extension.Equals(".yaml", StringComparison.OrdinalIgnoreCase) || extension.Equals(".yml", StringComparison.OrdinalIgnoreCase))
        {
            return SpecFormat.Yaml;
        }

        var first = text.AsSpan().TrimStart();
        return !first.IsEmpty && first[0] is '{' or '[' ? SpecFormat.Json : SpecFormat.Yaml;
    }

    private static bool TryDecode(ReadOnlySpan<byte> utf8, ProblemList problems, out string text)
    {
        try
        {
            text = StrictUtf8.GetString(utf8);
            return true;
        }
        catch (DecoderFallbackException e)
        {
            var offset = Math.Clamp(e.Index, 0, utf8.Length);
            var before = utf8[..offset];
            var line = before.Count((byte)'\n') + 1;
            var lineStart = before.LastIndexOf((byte)'\n') + 1;
            var column = Encoding.UTF8.GetCharCount(before[lineStart..]) + 1;
            problems.Add(line, column, SpecPath.Root, "document.encoding", "the document is not valid UTF-8 text");
            text = string.Empty;
            return false;
        }
    }
}
