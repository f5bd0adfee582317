using System.CommandLine;
using Workers.Cli.Commands;
using Workers.Contracts.Spec;

namespace Workers.Cli;

/// <summary>The <c>workers</c> command line.</summary>
internal static class WorkersCli
{
    public static RootCommand Build(CliConsole console)
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

        root.Subcommands.Add(ContextCommands.Create(console));
        root.Subcommands.Add(ServeCommand.Create(console));
        root.Subcommands.Add(VersionCommand.Create(console));
        root.Subcommands.Add(CompletionCommand.Create(console, root));
        Examples.AddToHelp(root);
        return root;
    }

    public static async Task<int> RunAsync(string[] args, CliConsole console, CancellationToken cancellationToken = default)
    {
        var parsed = Build(console).Parse(args);
        if (parsed.Errors.Count > 0)
        {
            var messages = parsed.Errors.Select(e => e.Message + Suggestion(parsed, e.Message)).ToList();
            if (CommonOptions.WantsDocument(parsed))
            {
                // The command was recognised and asked for a document: the usage error is one too.
                return await CommonOptions.FailAsync(console, parsed, ExitCodes.Usage, "usage", string.Join(" ", messages));
            }

            foreach (var message in messages)
            {
                await console.Error.WriteLineAsync($"workers: {message}");
            }

            await console.Error.WriteLineAsync("Run 'workers --help' for usage.");
            return ExitCodes.Usage;
        }

        var interrupted = false;
        ConsoleCancelEventHandler onCancel = (_, _) => interrupted = true;
        Console.CancelKeyPress += onCancel;
        using var tracing = CliTracing.Start(parsed.CommandResult.Command.Name);
        try
        {
            var invocation = new InvocationConfiguration { Output = console.Out, Error = console.Error, EnableDefaultExceptionHandler = false };
            if (parsed.CommandResult.Command.Name == "serve")
            {
                // A server is given time to stop its agent and bus cleanly after Ctrl+C or SIGTERM.
                invocation.ProcessTerminationTimeout = ServeCommand.StopTimeout;
            }

            var exitCode = await parsed.InvokeAsync(invocation, cancellationToken);
            tracing.End(exitCode);
            return exitCode;
        }
        catch (CliFailure e)
        {
            return await CommonOptions.FailAsync(console, parsed, e.ExitCode, e.Code, e.Message, e);
        }
        catch (OperationCanceledException) when (interrupted || cancellationToken.IsCancellationRequested)
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

    /// <summary>" Did you mean 'status'?" when the error is about a token close to one of the command's subcommands or options.</summary>
    private static string Suggestion(ParseResult parsed, string message)
    {
        var command = parsed.CommandResult.Command;
        var quoted = System.Text.RegularExpressions.Regex.Match(message, "'([^']+)'");
        foreach (var token in parsed.UnmatchedTokens.Append(quoted.Success ? quoted.Groups[1].Value : null).OfType<string>().Where(t => message.Contains($"'{t}'", StringComparison.Ordinal)).Distinct())
        {
            var candidates = token.StartsWith('-')
                ? command.Options.Concat(parsed.RootCommandResult.Command.Options.Where(o => o.Recursive)).SelectMany(o => o.Aliases.Prepend(o.Name))
                : command.Subcommands.Where(c => !c.Hidden).SelectMany(c => c.Aliases.Prepend(c.Name));
            if (Spelling.Closest(token, candidates.Where(c => c.Length > 2)) is { } closest)
            {
                return $" Did you mean '{closest}'?";
            }
        }

        return string.Empty;
    }
}
