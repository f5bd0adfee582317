using System.CommandLine;
using System.Text.Json;

namespace Workers.Cli.Commands;

/// <summary>Options that several commands share, how documents are written, and how failures are reported.</summary>
internal static class CommonOptions
{
    public const string TextFormat = "text";
    public const string WideFormat = "wide";
    public const string JsonFormat = "json";
    public const string YamlFormat = "yaml";

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

    /// <summary>
    /// <c>-o, --format</c>: text (the default), json or yaml, as kubectl's <c>-o</c>; and wide (text with more columns)
    /// only for a command that has more columns to show (<paramref name="wide"/>), so that it is refused where it would
    /// change nothing.
    /// </summary>
    public static Option<string> Format(bool wide = false)
    {
        var option = new Option<string>(FormatName, "-o")
        {
            Description = wide ? "Output format: text, wide (more columns), json or yaml." : "Output format: text, json or yaml.",
            DefaultValueFactory = _ => TextFormat,
        };
        option.AcceptOnlyFromAmong(wide ? [TextFormat, WideFormat, JsonFormat, YamlFormat] : [TextFormat, JsonFormat, YamlFormat]);
        return option;
    }

    /// <summary><c>-w, --watch</c>: show the table again whenever it changes, until Ctrl+C.</summary>
    public static Option<bool> Watch() => new("--watch", "-w")
    {
        Description = "Keep watching: print the table again whenever it changes, until Ctrl+C (exit 130).",
    };

    /// <summary>
    /// Refuses a token that looks like an option as the value of a name argument: <c>status --wacth</c> is a mistyped
    /// option (with a "did you mean"), not a deployment named <c>--wacth</c>.
    /// </summary>
    public static T RefusingOptions<T>(this T argument)
        where T : Argument
    {
        argument.Validators.Add(result =>
        {
            foreach (var token in result.Tokens.Where(t => t.Value.StartsWith('-') && t.Value != SpecFiles.StandardInput))
            {
                result.AddError($"Unrecognized option '{token.Value}'.");
            }
        });
        return argument;
    }

    /// <summary>The format the parsed command was given, or text when it has no <c>--format</c>.</summary>
    public static string FormatOf(ParseResult parsed)
    {
        if (parsed.CommandResult.Command.Options.OfType<Option<string>>().FirstOrDefault(o => o.Name == FormatName) is not { } format
            || parsed.GetResult(format) is { } result && result.Errors.Any())
        {
            // A format that is not one of the four is itself the usage error being reported: in text.
            return TextFormat;
        }

        return parsed.GetValue(format) ?? TextFormat;
    }

    /// <summary>Whether the command writes one document (JSON or YAML) rather than text.</summary>
    public static bool WantsDocument(ParseResult parsed) => FormatOf(parsed) is JsonFormat or YamlFormat;

    /// <summary>Writes <paramref name="value"/> as the one JSON or YAML document the command's format asks for.</summary>
    public static Task WriteDocumentAsync(CliConsole console, ParseResult parsed, object value, JsonSerializerOptions? options = null)
    {
        var json = JsonSerializer.SerializeToElement(value, options ?? Json);
        return console.Out.WriteLineAsync(FormatOf(parsed) == YamlFormat ? YamlWriter.Write(json) : JsonSerializer.Serialize(json, Json));
    }

    /// <summary>
    /// One line on standard error, <c>workers: MESSAGE</c> (with the stack trace under <c>--verbose</c>), and with
    /// <c>-o json</c> or <c>-o yaml</c> the same as an error object on standard output, so that it always holds one document.
    /// </summary>
    public static async Task<int> FailAsync(CliConsole console, ParseResult parsed, int exitCode, string code, string message, Exception? exception = null, object? problems = null)
    {
        await console.Error.WriteLineAsync($"workers: {message}");
        if (exception is not null && parsed.GetValue(Verbose))
        {
            await console.Error.WriteLineAsync(exception.ToString());
        }

        if (WantsDocument(parsed))
        {
            await WriteDocumentAsync(console, parsed, new { error = new { code, message, exitCode, problems } });
        }

        return exitCode;
    }
}
