using Workers.Contracts.Spec;

namespace Workers.Cli;

/// <summary>Reads spec files (or standard input for <c>-</c>) without ever reading more than the size limit allows.</summary>
internal static class SpecFiles
{
    public const string StandardInput = "-";

    /// <summary>The file's bytes, at most one more than the limit so that the parser can say the file is too large.</summary>
    public static async Task<byte[]> ReadAsync(string file, CliConsole console, CancellationToken cancellationToken)
    {
        await using var stream = file == StandardInput ? console.OpenInput() : File.OpenRead(file);
        var buffer = new MemoryStream();
        var chunk = new byte[81920];
        int read;
        while (buffer.Length <= SpecParser.MaxBytes && (read = await stream.ReadAsync(chunk, cancellationToken)) > 0)
        {
            buffer.Write(chunk, 0, read);
        }

        return buffer.ToArray();
    }

    /// <summary>Reads and parses; an unreadable file yields null and a message on standard error.</summary>
    public static async Task<SpecParseResult?> ParseAsync(string file, CliConsole console, CancellationToken cancellationToken)
    {
        byte[] content;
        try
        {
            content = await ReadAsync(file, console, cancellationToken);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            await console.Error.WriteLineAsync($"workers: cannot read {file}: {e.Message}");
            return null;
        }

        return SpecParser.Parse(content, file);
    }
}
