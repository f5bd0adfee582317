using System.CommandLine;
using System.Text;

namespace Workers.Cli.Commands;

/// <summary>
/// <c>workers completion bash|zsh|fish</c>: a completion script for the shell, written from the command tree itself so
/// that it always knows every command, subcommand and option (and the values of <c>-o</c>).
/// </summary>
internal static class CompletionCommand
{
    public const string Bash = "bash";
    public const string Zsh = "zsh";
    public const string Fish = "fish";

    private static readonly string[] Shells = [Bash, Zsh, Fish];

    public static Command Create(CliConsole console, RootCommand root)
    {
        var shell = new Argument<string>("SHELL") { Description = "bash, zsh or fish." };
        shell.AcceptOnlyFromAmong(Shells);
        var command = new Command("completion", "Print a completion script for bash, zsh or fish; load it from your shell's profile.") { shell };
        command.SetAction(async (parsed, _) =>
        {
            await console.Out.WriteAsync(parsed.GetRequiredValue(shell) switch
            {
                Bash => ForBash(root),
                Zsh => ForZsh(root),
                _ => ForFish(root),
            });
            return ExitCodes.Ok;
        });
        return command;
    }

    public static string ForBash(RootCommand root)
    {
        var commands = Walk(root, string.Empty).ToList();
        var script = new StringBuilder();
        script.Append("# workers completion for bash: source <(workers completion bash)\n");
        script.Append("_workers() {\n");
        script.Append("    local cur=\"${COMP_WORDS[COMP_CWORD]}\" prev=\"${COMP_WORDS[COMP_CWORD-1]}\" path=\"\" i\n");
        script.Append("    for ((i = 1; i < COMP_CWORD; i++)); do\n");
        script.Append("        case \"${path:+$path }${COMP_WORDS[i]}\" in\n");
        script.Append("            ").Append(string.Join('|', commands.Where(c => c.Path.Length > 0).Select(c => Quote(c.Path)))).Append(") path=\"${path:+$path }${COMP_WORDS[i]}\" ;;\n");
        script.Append("        esac\n");
        script.Append("    done\n");
        script.Append("    case \"$prev\" in\n");
        script.Append("        -o|--format) COMPREPLY=($(compgen -W \"text wide json yaml\" -- \"$cur\")); return ;;\n");
        script.Append("    esac\n");
        script.Append("    local words\n");
        script.Append("    case \"$path\" in\n");
        foreach (var (path, command) in commands)
        {
            script.Append("        ").Append(Quote(path)).Append(") words=").Append(Quote(string.Join(' ', Words(command)))).Append(" ;;\n");
        }

        script.Append("    esac\n");
        script.Append("    COMPREPLY=($(compgen -W \"$words\" -- \"$cur\"))\n");
        script.Append("}\n");
        script.Append("complete -F _workers workers\n");
        return script.ToString();
    }

    /// <summary>zsh runs the bash script through its bash completion layer.</summary>
    public static string ForZsh(RootCommand root) =>
        "# workers completion for zsh: source <(workers completion zsh)\nautoload -U +X bashcompinit && bashcompinit\n" + ForBash(root).Replace("# workers completion for bash: source <(workers completion bash)\n", string.Empty, StringComparison.Ordinal);

    public static string ForFish(RootCommand root)
    {
        var script = new StringBuilder("# workers completion for fish: workers completion fish > ~/.config/fish/completions/workers.fish\ncomplete -c workers -f\n");
        foreach (var sub in root.Subcommands.Where(c => !c.Hidden))
        {
            script.Append($"complete -c workers -n '__fish_use_subcommand' -a {sub.Name} -d {FishQuote(FirstSentence(sub.Description))}\n");
        }

        foreach (var (path, command) in Walk(root, string.Empty).Where(c => c.Path.Length > 0))
        {
            var condition = $"__fish_seen_subcommand_from {path.Split(' ')[^1]}";
            foreach (var sub in command.Subcommands.Where(c => !c.Hidden))
            {
                script.Append($"complete -c workers -n '{condition}' -a {sub.Name} -d {FishQuote(FirstSentence(sub.Description))}\n");
            }

            foreach (var option in command.Options.Where(o => !o.Hidden && o.Name.StartsWith("--", StringComparison.Ordinal)))
            {
                var shortName = option.Aliases.FirstOrDefault(a => a.Length == 2 && a[0] == '-') is { } alias ? $" -s {alias[1]}" : string.Empty;
                var values = option.Name == "--format" ? " -x -a 'text wide json yaml'" : string.Empty;
                script.Append($"complete -c workers -n '{condition}' -l {option.Name[2..]}{shortName}{values} -d {FishQuote(FirstSentence(option.Description))}\n");
            }
        }

        return script.ToString();
    }

    private static IEnumerable<(string Path, Command Command)> Walk(Command command, string path)
    {
        yield return (path, command);
        foreach (var sub in command.Subcommands.Where(c => !c.Hidden))
        {
            foreach (var below in Walk(sub, path.Length == 0 ? sub.Name : $"{path} {sub.Name}"))
            {
                yield return below;
            }
        }
    }

    private static IEnumerable<string> Words(Command command) =>
        command.Subcommands.Where(c => !c.Hidden).Select(c => c.Name)
            .Concat(command.Options.Where(o => !o.Hidden).SelectMany(o => o.Aliases.Prepend(o.Name)))
            .Concat(command.Name == "completion" ? Shells : [])
            .Append("--verbose")
            .Distinct(StringComparer.Ordinal);

    private static string Quote(string text) => $"\"{text}\"";

    private static string FishQuote(string text) => $"'{text.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("'", "\\'", StringComparison.Ordinal)}'";

    private static string FirstSentence(string? text) =>
        text is null ? string.Empty : text.Split(": ")[0].Split(". ")[0].TrimEnd('.');
}
