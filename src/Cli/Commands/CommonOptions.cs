using System.CommandLine;
using System.Text.Json;

namespace Workers.Cli.Commands;

/// <summary>Options that several commands share, and how their failures are reported.</summary>
internal static class CommonOptions
{
    public const string TextFormat = "text";
    public const string JsonFormat = "json";

    private const string FormatName = "--format";

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull,
    };

    /// <summary>On every command: library logging on, and stack traces with failures.</summary>
    public static Option<bool> Verbose { get; } = new("--verbose")
    {
        Description = "Write the libraries' logging (MassTransit, RabbitMQ.Client) and failures' stack traces to standard error; WORKERS_LOG_LEVEL sets the level.",
        Recursive = true,
    };

    public static Option<string> Format()
    {
        var option = new Option<string>(FormatName, "-o")
        {
            Description = "Output format: text or json.",
            DefaultValueFactory = _ => TextFormat,
        };
        option.AcceptOnlyFromAmong(TextFormat, JsonFormat);
        return option;
    }

    /// <summary>Whether the command that was parsed has <c>--format</c> and it says json.</summary>
    public static bool WantsJson(ParseResult parsed) =>
        parsed.CommandResult.Command.Options.OfType<Option<string>>().FirstOrDefault(o => o.Name == FormatName) is { } format
        && parsed.GetValue(format) == JsonFormat;

    /// <summary>
    /// One line on standard error, <c>workers: MESSAGE</c> (with the stack trace under <c>--verbose</c>), and with
    /// <c>--format json</c> the same as a JSON error object on standard output, so that it always holds one JSON document.
    /// </summary>
    public static async Task<int> FailAsync(CliConsole console, ParseResult parsed, int exitCode, string code, string message, Exception? exception = null, object? problems = null)
    {
        await console.Error.WriteLineAsync($"workers: {message}");
        if (exception is not null && parsed.GetValue(Verbose))
        {
            await console.Error.WriteLineAsync(exception.ToString());
        }

        if (WantsJson(parsed))
        {
            await console.Out.WriteLineAsync(JsonSerializer.Serialize(new { error = new { code, message, problems } }, Json));
        }

        return exitCode;
    }
}
