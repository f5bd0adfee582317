using System.CommandLine;
using Workers.Cli.Commands;

namespace Workers.Cli;

/// <summary>The <c>workers</c> command line.</summary>
internal static class WorkersCli
{
    public static async Task<int> RunAsync(string[] args, CliConsole console)
    {
        var root = new RootCommand("Workers: deploy containers to a fleet of hosts through a message queue.")
        {
            ValidateCommand.Create(console),
            DeadLetterCommands.Create(console),
        };
        foreach (var command in ClusterCommands.Create(console))
        {
            root.Subcommands.Add(command);
        }

        var parsed = root.Parse(args);
        if (parsed.Errors.Count > 0)
        {
            foreach (var error in parsed.Errors)
            {
                await console.Error.WriteLineAsync($"workers: {error.Message}");
            }

            await console.Error.WriteLineAsync("Run 'workers --help' for usage.");
            return ExitCodes.Usage;
        }

        return await parsed.InvokeAsync(new InvocationConfiguration { Output = console.Out, Error = console.Error });
    }
}
