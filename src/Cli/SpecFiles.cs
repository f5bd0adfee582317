using Workers.Contracts.Spec;

namespace Workers.Cli;

/// <summary>Reads spec files (or standard input for <c>-</c>) without ever reading more than the size limit allows.</summary>
internal static class SpecFiles
{
    public const string StandardInput = "-";

    /// <summary>The code of the problem that a file could not be read at all.</summary>
    public const string UnreadableCode = "file.unreadable";

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

    /// <summary>
    /// Reads and parses. A file that cannot be read yields no parse but a problem coded <c>file.unreadable</c>, at
    /// line and column 0 (the file as a whole), whose message is also written to standard error.
    /// </summary>
    public static async Task<(SpecParseResult? Result, SpecProblem? Unreadable)> ParseAsync(string file, CliConsole console, CancellationToken cancellationToken)
    {
        byte[] content;
        try
        {
            content = await ReadAsync(file, console, cancellationToken);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            var problem = Unreadable(file, e);
            await console.Error.WriteLineAsync($"workers: {problem.Message}");
            return (null, problem);
        }

        return (SpecParser.Parse(content, file), null);
    }

    /// <summary>Why the file could not be read, in plain words.</summary>
    public static SpecProblem Unreadable(string file, Exception e)
    {
        var reason = e switch
        {
            _ when Directory.Exists(file) => "it is a directory",
            FileNotFoundException => "no such file",
            DirectoryNotFoundException => "no such file or directory",
            UnauthorizedAccessException => "permission denied",
            _ => e.Message,
        };
        return new SpecProblem(file, 0, 0, "$", UnreadableCode, $"cannot read {file}: {reason}");
    }
}
