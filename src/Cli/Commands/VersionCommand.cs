using System.CommandLine;
using System.Reflection;

namespace Workers.Cli.Commands;

/// <summary>
/// <c>workers version</c>: this CLI's version. The functions and the agents do not report theirs (no reply and no
/// heartbeat carries a version), so the command says so rather than guess.
/// </summary>
internal static class VersionCommand
{
    public const string NotReported = "not reported: the functions' replies and the agents' heartbeats carry no version";

    public static string CliVersion =>
        typeof(VersionCommand).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion
        ?? typeof(VersionCommand).Assembly.GetName().Version?.ToString()
        ?? "unknown";

    public static Command Create(CliConsole console)
    {
        var format = CommonOptions.Format();
        var command = new Command("version", "Show the CLI's version (the functions and agents report none).") { format };
        command.SetAction(async (parsed, _) =>
        {
            if (CommonOptions.WantsDocument(parsed))
            {
                await CommonOptions.WriteDocumentAsync(console, parsed, new { cli = CliVersion, functions = NotReported, agents = NotReported });
                return ExitCodes.Ok;
            }

            await console.Out.WriteLineAsync($"cli:       {CliVersion}");
            await console.Out.WriteLineAsync($"functions: {NotReported}");
            await console.Out.WriteLineAsync($"agents:    {NotReported}");
            return ExitCodes.Ok;
        });
        return command;
    }
}
