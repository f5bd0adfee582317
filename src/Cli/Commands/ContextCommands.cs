using System.CommandLine;
using Workers.Cli.Contexts;
using Workers.Contracts.Spec;

namespace Workers.Cli.Commands;

/// <summary>
/// <c>workers context add|use|list|remove</c>: named servers (with their tokens) and brokers in
/// <c>~/.config/workers/config.yaml</c>, as <c>kubectl config</c> keeps clusters. No command prints a token.
/// </summary>
internal static class ContextCommands
{
    public static Command Create(CliConsole console) =>
        new("context", "Keep named servers (HTTP API and token) and brokers, and choose the one commands use.")
        {
            Add(console),
            Use(console),
            List(console),
            Remove(console),
        };

    private static Command Add(CliConsole console)
    {
        var name = NameArgument();
        var server = new Option<string?>("--server") { Description = "The server's HTTP API, as https://workers.example:8080." };
        var tokenStdin = new Option<bool>("--token-stdin") { Description = "Read the server's API token from standard input (one trailing newline is dropped)." };
        var broker = new Option<string?>("--broker") { Description = "A broker instead of a server, as rabbitmq://user:password@host:5672/." };
        var command = new Command("add", "Add a context (or replace the one of that name): a server with its token, or a broker.") { name, server, tokenStdin, broker };
        command.SetAction((parsed, token) => RunAsync(console, parsed, async (path, config) =>
        {
            var context = new CliContext { Name = parsed.GetRequiredValue(name), Server = parsed.GetValue(server), Broker = parsed.GetValue(broker) };
            if (parsed.GetValue(tokenStdin))
            {
                if (context.Server is null)
                {
                    throw new CliFailure(ExitCodes.Usage, "usage", "--token-stdin goes with --server: a broker's credentials are in its address");
                }

                context.Token = await ReadTokenAsync(console, token);
            }

            if (context.Problem() is { } problem)
            {
                throw new CliFailure(ExitCodes.Usage, "usage", problem);
            }

            var replaced = config.Put(context);
            config.Save(path);
            await console.Out.WriteLineAsync($"context {context.Name} {(replaced ? "replaced" : "added")}{(config.CurrentContext == context.Name ? string.Empty : $"; 'workers context use {context.Name}' makes it current")}");
            return ExitCodes.Ok;
        }));
        return command;
    }

    private static Command Use(CliConsole console)
    {
        var name = NameArgument();
        var command = new Command("use", "Make a context the current one: commands then go to its server or broker unless a flag or the environment says otherwise.") { name };
        command.SetAction((parsed, _) => RunAsync(console, parsed, async (path, config) =>
        {
            var context = Known(config, parsed.GetRequiredValue(name));
            config.CurrentContext = context.Name;
            config.Save(path);
            await console.Out.WriteLineAsync($"now using context {context.Name} ({Where(context)})");
            return ExitCodes.Ok;
        }));
        return command;
    }

    private static Command List(CliConsole console)
    {
        var format = CommonOptions.Format();
        var command = new Command("list", "List the contexts: name, server or broker (without its password), whether a token is kept; '*' marks the current one.") { format };
        command.Aliases.Add("ls");
        command.SetAction((parsed, _) => RunAsync(console, parsed, async (_, config) =>
        {
            if (CommonOptions.WantsDocument(parsed))
            {
                await CommonOptions.WriteDocumentAsync(console, parsed, config.Contexts.Select(c => new { c.Name, Current = c.Name == config.CurrentContext, c.Server, Broker = c.Broker is null ? null : Where(c), Token = c.Token is not null, c.Serve }));
                return ExitCodes.Ok;
            }

            if (config.Contexts.Count == 0)
            {
                await console.Out.WriteLineAsync("no contexts: 'workers context add NAME --server URL --token-stdin' adds one, 'workers serve' adds 'local'");
                return ExitCodes.Ok;
            }

            await console.Out.WriteLineAsync($"{"CURRENT",-8}{"NAME",-20} {"WHERE",-50} TOKEN");
            foreach (var c in config.Contexts)
            {
                await console.Out.WriteLineAsync($"{(c.Name == config.CurrentContext ? "*" : string.Empty),-8}{c.Name,-20} {Where(c),-50} {(c.Token is null ? "none" : "set")}".TrimEnd());
            }

            return ExitCodes.Ok;
        }));
        return command;
    }

    private static Command Remove(CliConsole console)
    {
        var name = NameArgument();
        var command = new Command("remove", "Remove a context; when it was the current one, commands fall back to the environment or the embedded default.") { name };
        command.Aliases.Add("rm");
        command.SetAction((parsed, _) => RunAsync(console, parsed, async (path, config) =>
        {
            var context = Known(config, parsed.GetRequiredValue(name));
            config.Contexts.Remove(context);
            var wasCurrent = config.CurrentContext == context.Name;
            if (wasCurrent)
            {
                config.CurrentContext = null;
            }

            config.Save(path);
            await console.Out.WriteLineAsync($"context {context.Name} removed{(wasCurrent ? "; no context is current now" : string.Empty)}");
            return ExitCodes.Ok;
        }));
        return command;
    }

    private static Argument<string> NameArgument() => new Argument<string>("NAME") { Description = "The context's name." }.RefusingOptions();

    private static async Task<int> RunAsync(CliConsole console, ParseResult parsed, Func<string, CliConfig, Task<int>> action)
    {
        var path = CliConfig.PathFromEnvironment();
        try
        {
            return await action(path, CliConfig.Load(path));
        }
        catch (CliFailure e)
        {
            return await CommonOptions.FailAsync(console, parsed, e.ExitCode, e.Code, e.Message, e);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return await CommonOptions.FailAsync(console, parsed, ExitCodes.Usage, "config.unwritable", $"cannot write {path}: {e.Message}", e);
        }
    }

    private static CliContext Known(CliConfig config, string name)
    {
        if (config.Find(name) is { } context)
        {
            return context;
        }

        var hint = Spelling.Closest(name, config.Contexts.Select(c => c.Name)) is { } closest ? $"; did you mean '{closest}'?" : string.Empty;
        throw new CliFailure(ExitCodes.Failed, "context.not-found", $"no context named {name}{hint}");
    }

    /// <summary>The server, or the broker without its password: never a credential.</summary>
    private static string Where(CliContext context) =>
        context.Server
        ?? (Transport.ServiceBus.ServiceBusSettings.IsServiceBus(context.Broker) && Uri.TryCreate(context.Broker, UriKind.Absolute, out var serviceBus) ? $"servicebus://{serviceBus.Host}/"
            : Transport.Broker.TryParse(context.Broker, out var broker, out _) ? broker.ToString() : "?");

    private static async Task<string> ReadTokenAsync(CliConsole console, CancellationToken cancellationToken)
    {
        await using var input = console.OpenInput();
        using var reader = new StreamReader(input);
        var token = (await reader.ReadToEndAsync(cancellationToken)).TrimEnd('\r', '\n');
        return token.Length == 0 || token.Any(char.IsWhiteSpace)
            ? throw new CliFailure(ExitCodes.Usage, "usage", "--token-stdin: standard input holds no token (one line, no spaces)")
            : token;
    }
}
