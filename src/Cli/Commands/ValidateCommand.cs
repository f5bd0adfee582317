using System.CommandLine;
using System.Text.Json;
using Workers.Contracts.Spec;

namespace Workers.Cli.Commands;

/// <summary><c>workers validate FILE...</c>: checks specs without touching any infrastructure.</summary>
internal static class ValidateCommand
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    public static Command Create(CliConsole console)
    {
        var files = new Argument<string[]>("FILE")
        {
            Description = "Spec files in YAML or JSON; '-' reads standard input.",
            Arity = ArgumentArity.OneOrMore,
        };

        // An unknown option would otherwise be taken for a file name and reported as unreadable.
        files.Validators.Add(result =>
        {
            foreach (var token in result.Tokens.Where(t => t.Value.StartsWith('-') && t.Value != SpecFiles.StandardInput))
            {
                result.AddError($"Unrecognized option '{token.Value}' (to validate a file whose name starts with '-', write ./{token.Value}).");
            }
        });
        var format = CommonOptions.Format();
        var command = new Command("validate", "Check deployment specs and report every problem with its file, line, column and path.")
        {
            files,
            format,
        };
        command.SetAction((parsed, cancellationToken) =>
            RunAsync(parsed, parsed.GetRequiredValue(files), console, cancellationToken));
        return command;
    }

    private static async Task<int> RunAsync(ParseResult parsed, string[] files, CliConsole console, CancellationToken cancellationToken)
    {
        var problems = new List<SpecProblem>();
        var unreadable = new List<SpecProblem>();
        var inFileOrder = new List<SpecProblem>();
        foreach (var file in files)
        {
            var (result, problem) = await SpecFiles.ParseAsync(file, console, cancellationToken);
            if (problem is not null)
            {
                unreadable.Add(problem);
                inFileOrder.Add(problem);
                continue;
            }

            problems.AddRange(result!.Problems);
            inFileOrder.AddRange(result.Problems);
        }

        if (CommonOptions.WantsDocument(parsed))
        {
            // An unreadable file is in the list too, so that [] always means every file was read and is valid.
            await CommonOptions.WriteDocumentAsync(console, parsed, inFileOrder, Json);
        }
        else
        {
            foreach (var problem in problems)
            {
                await console.Out.WriteLineAsync(problem.ToString());
            }

            var invalid = problems.Select(p => p.File).Distinct(StringComparer.Ordinal).Count();
            await console.Error.WriteLineAsync(
                $"{files.Length} file(s) checked: {files.Length - invalid - unreadable.Count} valid, {invalid} invalid ({problems.Count} problem(s)){(unreadable.Count > 0 ? $", {unreadable.Count} unreadable" : string.Empty)}");
        }

        return unreadable.Count > 0 ? ExitCodes.Usage : problems.Count > 0 ? ExitCodes.Failed : ExitCodes.Ok;
    }
}
