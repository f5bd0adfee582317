using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Invocation;
using System.CommandLine.Parsing;

namespace Workers.Cli.Commands;

/// <summary>An example for every command, written under its <c>--help</c> as kubectl does.</summary>
internal static class Examples
{
    /// <summary>By command path (the names after <c>workers</c>).</summary>
    public static readonly IReadOnlyDictionary<string, string[]> ByCommand = new Dictionary<string, string[]>(StringComparer.Ordinal)
    {
        [""] = ["workers deploy web.yaml --wait", "workers status -w"],
        ["validate"] = ["workers validate web.yaml", "cat web.yaml | workers validate - -o json"],
        ["deploy"] = ["workers deploy web.yaml --wait", "WORKERS_BROKER=rabbitmq://workers:secret@rabbit:5672/ workers deploy web.yaml"],
        ["plan"] = ["workers plan web.yaml", "workers plan web.yaml -o json"],
        ["status"] = ["workers status", "workers status web -o wide", "workers status -w"],
        ["hosts"] = ["workers hosts", "workers hosts -o wide -w"],
        ["hosts forget"] = ["workers hosts forget node-7"],
        ["hosts revoke"] = ["workers hosts revoke node-7"],
        ["delete"] = ["workers delete web --wait"],
        ["events"] = ["workers events web --since 10m", "workers events -f -o json"],
        ["logs"] = ["workers logs web --tail 100", "workers logs web --replica 2 -f --timestamps"],
        ["history"] = ["workers history web", "workers history web -o yaml"],
        ["rollback"] = ["workers rollback web --wait", "workers rollback web --to 3"],
        ["secret"] = ["printf %s \"$DB_PASSWORD\" | workers secret set db-password", "workers secret list"],
        ["secret set"] = ["printf %s \"$DB_PASSWORD\" | workers secret set db-password"],
        ["secret list"] = ["workers secret list -o json"],
        ["secret rm"] = ["workers secret rm db-password"],
        ["dead-letters"] = ["workers dead-letters list", "workers dead-letters replay --queue workers.plan"],
        ["dead-letters replay"] = ["workers dead-letters replay --queue workers.plan --id MESSAGE-ID"],
        ["dead-letters list"] = ["workers dead-letters list -o json"],
        ["context"] = ["printf %s \"$TOKEN\" | workers context add prod --server https://workers.example:8443 --token-stdin", "workers context use prod"],
        ["context add"] = ["printf %s \"$TOKEN\" | workers context add prod --server https://workers.example:8443 --token-stdin", "workers context add lab --broker rabbitmq://workers:secret@rabbit:5672/"],
        ["context use"] = ["workers context use prod"],
        ["context list"] = ["workers context list", "workers context list -o json"],
        ["context remove"] = ["workers context remove lab"],
        ["serve"] = ["workers serve", "workers serve --listen 127.0.0.1:8080", "workers serve stop"],
        ["serve stop"] = ["workers serve stop"],
        ["version"] = ["workers version", "workers version --client", "workers version -o json --server https://workers.example.com"],
        ["completion"] = ["source <(workers completion bash)", "workers completion fish > ~/.config/fish/completions/workers.fish"],
    };

    /// <summary>The path of a command below the root: "hosts forget".</summary>
    public static string PathOf(CommandResult result)
    {
        var names = new List<string>();
        for (var current = result; current.Parent is CommandResult parent; current = parent)
        {
            names.Insert(0, current.Command.Name);
        }

        return string.Join(' ', names);
    }

    /// <summary>Wraps the help option's action so that the examples follow the usual help.</summary>
    public static void AddToHelp(RootCommand root)
    {
        foreach (var help in root.Options.OfType<HelpOption>())
        {
            if (help.Action is HelpAction standard)
            {
                help.Action = new WithExamples(standard);
            }
        }
    }

    private sealed class WithExamples(HelpAction standard) : SynchronousCommandLineAction
    {
        /// <summary>As the standard help: <c>workers hosts forget --help</c> is help, not a missing HOST.</summary>
        public override bool ClearsParseErrors => true;

        public override int Invoke(ParseResult parseResult)
        {
            var exit = standard.Invoke(parseResult);
            if (ByCommand.TryGetValue(PathOf(parseResult.CommandResult), out var examples))
            {
                var output = parseResult.InvocationConfiguration.Output;
                output.WriteLine("Examples:");
                foreach (var example in examples)
                {
                    output.WriteLine($"  {example}");
                }

                output.WriteLine();
            }

            return exit;
        }
    }
}
