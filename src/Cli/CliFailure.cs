namespace Workers.Cli;

/// <summary>
/// A failure the CLI can name in one line: what, where and why, the exit code it ends with, and a stable
/// <paramref name="code"/> for the JSON error object.
/// </summary>
internal sealed class CliFailure(int exitCode, string code, string message, Exception? inner = null) : Exception(message, inner)
{
    public int ExitCode { get; } = exitCode;

    public string Code { get; } = code;
}
