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
            SecretCommands.Create(console),
        };
        root.Options.Add(CommonOptions.Verbose);
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

        var interrupted = false;
        ConsoleCancelEventHandler onCancel = (_, _) => interrupted = true;
        Console.CancelKeyPress += onCancel;
        try
        {
            return await parsed.InvokeAsync(new InvocationConfiguration { Output = console.Out, Error = console.Error, EnableDefaultExceptionHandler = false });
        }
        catch (CliFailure e)
        {
            return await CommonOptions.FailAsync(console, parsed, e.ExitCode, e.Code, e.Message, e);
        }
        catch (OperationCanceledException) when (interrupted)
        {
            // Ctrl+C: the shell's code for an interrupt. Any other cancellation is a bug, reported below.
            return ExitCodes.Interrupted;
        }
        catch (Exception e)
        {
            // Never a bare stack trace: one line, and the trace itself under --verbose.
            var hint = parsed.GetValue(CommonOptions.Verbose) ? string.Empty : " (run again with --verbose for the stack trace)";
            return await CommonOptions.FailAsync(console, parsed, ExitCodes.Internal, "internal", $"unexpected {e.GetType().Name}: {e.Message.ReplaceLineEndings(" ")}{hint}", e);
        }
        finally
        {
            Console.CancelKeyPress -= onCancel;
        }
    }
}
