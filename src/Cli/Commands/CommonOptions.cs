using System.CommandLine;

namespace Workers.Cli.Commands;

/// <summary>Options that several commands share.</summary>
internal static class CommonOptions
{
    public const string TextFormat = "text";
    public const string JsonFormat = "json";

    public static Option<string> Format()
    {
        var option = new Option<string>("--format")
        {
            Description = "Output format: text or json.",
            DefaultValueFactory = _ => TextFormat,
        };
        option.AcceptOnlyFromAmong(TextFormat, JsonFormat);
        return option;
    }
}
