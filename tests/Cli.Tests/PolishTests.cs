using System.Diagnostics;
using System.Reflection;
using System.Text.Json;
using Workers.Cli.Commands;
using YamlDotNet.RepresentationModel;

namespace Workers.Cli.Tests;

/// <summary>Output formats, suggestions, version, completion, help examples and the documented exit codes.</summary>
public sealed class PolishTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("workers-cli-polish-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private string File(string name, string content)
    {
        var path = Path.Combine(_directory, name);
        System.IO.File.WriteAllText(path, content);
        return path;
    }

    private static async Task<(int Exit, string Out, string Error)> RunAsync(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var exit = await WorkersCli.RunAsync(args, new CliConsole(() => new MemoryStream(), output, error));
        return (exit, output.ToString(), error.ToString());
    }

    private static YamlNode ParseYaml(string text)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(text));
        return stream.Documents[0].RootNode;
    }

    private static string RepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (System.IO.File.Exists(Path.Combine(directory.FullName, "Workers.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException($"no Workers.sln above {AppContext.BaseDirectory}");
    }

    // ---- did you mean ---------------------------------------------------------------------------------------

    [Theory]
    [InlineData("stauts", "status")]
    [InlineData("hots", "hosts")]
    [InlineData("valdiate", "validate")]
    [InlineData("rollbak", "rollback")]
    public async Task Run_MistypedCommand_SuggestsTheClosestCommandAndExitsTwo(string typed, string meant)
    {
        var (exit, _, error) = await RunAsync(typed);

        Assert.Equal(2, exit);
        Assert.Contains($"workers: Unrecognized command or argument '{typed}'. Did you mean '{meant}'?", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_CommandFarFromAnyKnown_SuggestsNothing()
    {
        var (exit, _, error) = await RunAsync("xyzzy");

        Assert.Equal(2, exit);
        Assert.DoesNotContain("Did you mean", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Status_MistypedOption_IsAnUnknownOptionWithASuggestionNotADeploymentName()
    {
        var (exit, output, error) = await RunAsync("status", "--wacth");

        Assert.Equal(2, exit);
        Assert.Empty(output);
        Assert.Contains("workers: Unrecognized option '--wacth'. Did you mean '--watch'?", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Status_UnknownOptionAsJson_IsOneJsonUsageErrorWithExitTwo()
    {
        var (exit, output, _) = await RunAsync("status", "--bogus", "-o", "json");

        Assert.Equal(2, exit);
        using var document = JsonDocument.Parse(output);
        var error = document.RootElement.GetProperty("error");
        Assert.Equal("usage", error.GetProperty("code").GetString());
        Assert.Equal(2, error.GetProperty("exitCode").GetInt32());
        Assert.Contains("'--bogus'", error.GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("status", "--watch")]
    [InlineData("status", "-w")]
    [InlineData("hosts", "-w")]
    public void Watch_IsReadAsTheOptionNotAsADeploymentName(string command, string flag)
    {
        var parsed = WorkersCli.Build(new CliConsole(() => new MemoryStream(), TextWriter.Null, TextWriter.Null)).Parse([command, flag]);

        Assert.Empty(parsed.Errors);
        Assert.Equal(command, parsed.CommandResult.Command.Name);
        Assert.True(parsed.GetValue<bool>("--watch"));
        Assert.DoesNotContain(parsed.CommandResult.Tokens, t => t.Type == System.CommandLine.Parsing.TokenType.Argument);
    }

    [Fact]
    public async Task Validate_TransposedKeys_SayDidYouMeanTheKey()
    {
        var spec = File("typo.yaml", "nmae: web\nimgae: nginx\n");

        var (exit, output, _) = await RunAsync("validate", spec);

        Assert.Equal(1, exit);
        Assert.Contains($"{spec}:1:1: nmae: unknown key 'nmae'; did you mean 'name'?", output, StringComparison.Ordinal);
        Assert.Contains($"{spec}:2:1: imgae: unknown key 'imgae'; did you mean 'image'?", output, StringComparison.Ordinal);
    }

    // ---- YAML tabs ------------------------------------------------------------------------------------------

    [Theory]
    [InlineData("name: web\nimage: nginx\nports:\n\t- container: 80\n", 4, 1)]
    [InlineData("name: web\nimage: nginx\nenv:\n  A: b\n \tB: c\n", 5, 2)]
    public async Task Validate_TabIndentingALine_IsReportedAtTheTabInPlainWords(string yaml, int line, int column)
    {
        var spec = File("tab.yaml", yaml);

        var (exit, output, _) = await RunAsync("validate", spec);

        Assert.Equal(1, exit);
        Assert.Equal($"{spec}:{line}:{column}: $: not valid YAML: a tab indents this line; YAML indents with spaces only", output.Trim());
    }

    // ---- formats --------------------------------------------------------------------------------------------

    [Fact]
    public async Task Validate_YamlFormat_WritesTheSameProblemsAsJson()
    {
        var spec = File("bad.yaml", "name: web\nimage: nginx\nreplicas: 0\n");

        var (_, json, _) = await RunAsync("validate", spec, "-o", "json");
        var (exit, yaml, _) = await RunAsync("validate", spec, "-o", "yaml");

        Assert.Equal(1, exit);
        using var document = JsonDocument.Parse(json);
        var expected = Assert.Single(document.RootElement.EnumerateArray());
        var problem = (YamlMappingNode)Assert.Single(((YamlSequenceNode)ParseYaml(yaml)).Children);
        foreach (var field in new[] { "file", "path", "code", "message" })
        {
            Assert.Equal(expected.GetProperty(field).GetString(), ((YamlScalarNode)problem[field]).Value);
        }

        Assert.Equal(expected.GetProperty("line").GetInt32().ToString(System.Globalization.CultureInfo.InvariantCulture), ((YamlScalarNode)problem["line"]).Value);
    }

    [Fact]
    public async Task Validate_MissingFileAsYaml_ReportsTheFileProblemWithExitTwo()
    {
        var missing = Path.Combine(_directory, "missing.yaml");

        var (exit, output, _) = await RunAsync("validate", missing, "-o", "yaml");

        Assert.Equal(2, exit);
        var problem = (YamlMappingNode)Assert.Single(((YamlSequenceNode)ParseYaml(output)).Children);
        Assert.Equal("file.unreadable", ((YamlScalarNode)problem["code"]).Value);
        Assert.Equal($"cannot read {missing}: no such file", ((YamlScalarNode)problem["message"]).Value);
    }

    [Theory]
    [InlineData("plain")]
    [InlineData("true")]
    [InlineData("null")]
    [InlineData("~")]
    [InlineData("0x1F")]
    [InlineData("1e3")]
    [InlineData("42")]
    [InlineData("")]
    [InlineData(" leading")]
    [InlineData("a: b")]
    [InlineData("- item")]
    [InlineData("#comment")]
    [InlineData("it's \"quoted\"")]
    [InlineData("line\nbreak\ttab")]
    [InlineData("host-a:8080")]
    [InlineData("ends with colon:")]
    [InlineData("ünïcødé ✓")]
    public void YamlWriter_AnyString_ReadsBackAsTheSameString(string value)
    {
        var yaml = YamlWriter.Write(JsonSerializer.SerializeToElement(new { value, list = new[] { value }, nested = new { value } }));

        var root = (YamlMappingNode)ParseYaml(yaml);
        Assert.Equal(value, ((YamlScalarNode)root["value"]).Value);
        Assert.Equal(value, ((YamlScalarNode)((YamlSequenceNode)root["list"]).Children[0]).Value);
        Assert.Equal(value, ((YamlScalarNode)((YamlMappingNode)root["nested"])["value"]).Value);
    }

    [Fact]
    public void YamlWriter_ListOfMaps_KeepsEveryFieldInItsItem()
    {
        var yaml = YamlWriter.Write(JsonSerializer.SerializeToElement(new object[] { new { a = 1, b = new[] { 2, 3 }, c = new { } }, new { a = 4, b = Array.Empty<int>(), c = new { d = true } } }));

        var items = ((YamlSequenceNode)ParseYaml(yaml)).Children.Cast<YamlMappingNode>().ToList();
        Assert.Equal(2, items.Count);
        Assert.Equal("1", ((YamlScalarNode)items[0]["a"]).Value);
        Assert.Equal(["2", "3"], ((YamlSequenceNode)items[0]["b"]).Children.Select(n => ((YamlScalarNode)n).Value));
        Assert.Equal("4", ((YamlScalarNode)items[1]["a"]).Value);
        Assert.Empty(((YamlSequenceNode)items[1]["b"]).Children);
        Assert.Equal("true", ((YamlScalarNode)((YamlMappingNode)items[1]["c"])["d"]).Value);
    }

    [Theory]
    [InlineData("history", "web")]
    [InlineData("events", null)]
    [InlineData("version", null)]
    public async Task FormatWide_OnACommandWithNoMoreColumns_IsRefusedNamingTheChoices(string command, string? name)
    {
        var (exit, output, error) = await RunAsync([command, .. name is null ? Array.Empty<string>() : [name], "-o", "wide", "--broker", "rabbitmq://nobody:none@127.0.0.1:1/"]);

        Assert.Equal(2, exit);
        Assert.Empty(output);
        Assert.Contains("'wide'", error, StringComparison.Ordinal);
        Assert.Contains("yaml", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Format_Unknown_IsAUsageErrorNamingTheChoices()
    {
        var (exit, _, error) = await RunAsync("status", "-o", "xml");

        Assert.Equal(2, exit);
        Assert.Contains("'xml'", error, StringComparison.Ordinal);
        Assert.Contains("wide", error, StringComparison.Ordinal);
        Assert.Contains("yaml", error, StringComparison.Ordinal);
    }

    // ---- version --------------------------------------------------------------------------------------------

    [Fact]
    public async Task VersionClient_Text_GivesTheCliVersionAloneWithoutConnecting()
    {
        var (exit, output, error) = await RunAsync("version", "--client");

        Assert.True(exit == 0, error);
        Assert.Equal($"cli:       {typeof(WorkersCli).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()!.InformationalVersion}\n", output.ReplaceLineEndings("\n"));
    }

    [Theory]
    [InlineData("--broker", "rabbitmq://nobody:none@127.0.0.1:1/")]
    [InlineData("--server", "http://127.0.0.1:1")]
    [InlineData("--timeout", "5")]
    public async Task VersionClient_WithATarget_IsRefusedAsTheTargetWouldNeverBeReached(string option, string value)
    {
        var (exit, output, error) = await RunAsync("version", "--client", option, value);

        Assert.Equal(2, exit);
        Assert.Empty(output);
        Assert.Equal($"workers: --client shows the CLI's version without reaching anything: drop {option}", error.Trim());
    }

    [Theory]
    [InlineData("status", "0")]
    [InlineData("deploy", "-5")]
    [InlineData("delete", "86401")]
    public async Task Timeout_NotFromOneSecondToADay_IsRefusedBeforeAnythingIsReached(string command, string seconds)
    {
        string[] args = command switch
        {
            "deploy" => ["deploy", "web.yaml", "--timeout", seconds],
            "delete" => ["delete", "web", "--timeout", seconds],
            _ => [command, "--timeout", seconds],
        };
        var (exit, output, error) = await RunAsync([.. args, "--broker", "rabbitmq://nobody:none@127.0.0.1:1/"]);

        Assert.Equal(2, exit);
        Assert.Empty(output);
        Assert.Contains($"--timeout {seconds}: give a number of seconds from 1 to 86400", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task VersionClient_Json_HasTheCliVersionOnly()
    {
        var (_, json, _) = await RunAsync("version", "--client", "-o", "json");

        using var document = JsonDocument.Parse(json);
        Assert.Equal(typeof(WorkersCli).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()!.InformationalVersion, document.RootElement.GetProperty("cli").GetString());
        Assert.False(document.RootElement.TryGetProperty("functions", out _));
    }

    // ---- completion -----------------------------------------------------------------------------------------

    [Theory]
    [InlineData("workers sta", "status")]
    [InlineData("workers status --wa", "--watch")]
    [InlineData("workers hosts f", "forget")]
    [InlineData("workers secret l", "list")]
    [InlineData("workers status -o y", "yaml")]
    [InlineData("workers completion ", "--verbose bash fish zsh")]
    public async Task CompletionBash_InRealBash_CompletesCommandsOptionsAndValues(string line, string expected)
    {
        var script = File("workers.bash", (await RunAsync("completion", "bash")).Out);
        var words = line.Split(' ');
        var probe = $"source {script}; COMP_WORDS=({string.Join(' ', words.Select(w => $"'{w}'"))}); COMP_CWORD={words.Length - 1}; _workers; printf '%s\\n' \"${{COMPREPLY[@]}}\" | sort | tr '\\n' ' '";

        var start = new ProcessStartInfo("bash", ["-c", probe]) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var bash = Process.Start(start)!;
        var output = await bash.StandardOutput.ReadToEndAsync();
        await bash.WaitForExitAsync();

        Assert.True(bash.ExitCode == 0, await bash.StandardError.ReadToEndAsync());
        Assert.Equal(expected, output.Trim());
    }

    [Fact]
    public async Task CompletionZshAndFish_CoverEveryCommand()
    {
        var (zshExit, zsh, _) = await RunAsync("completion", "zsh");
        var (fishExit, fish, _) = await RunAsync("completion", "fish");

        Assert.Equal((0, 0), (zshExit, fishExit));
        Assert.Contains("bashcompinit", zsh, StringComparison.Ordinal);
        Assert.Contains("complete -F _workers workers", zsh, StringComparison.Ordinal);
        foreach (var command in new[] { "validate", "deploy", "plan", "status", "hosts", "delete", "history", "rollback", "secret", "dead-letters", "version", "completion" })
        {
            Assert.Contains($"-n '__fish_use_subcommand' -a {command} ", fish, StringComparison.Ordinal);
        }

        Assert.Contains("complete -c workers -n '__fish_seen_subcommand_from status' -l watch -s w ", fish, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Completion_UnknownShell_IsAUsageError()
    {
        var (exit, _, _) = await RunAsync("completion", "powershell");

        Assert.Equal(2, exit);
    }

    // ---- help and exit codes --------------------------------------------------------------------------------

    [Fact]
    public void Help_EveryCommand_HasAnExample()
    {
        var root = WorkersCli.Build(new CliConsole(() => new MemoryStream(), TextWriter.Null, TextWriter.Null));

        static IEnumerable<string> Paths(System.CommandLine.Command command, string path) =>
            command.Subcommands.SelectMany(c => Paths(c, path.Length == 0 ? c.Name : $"{path} {c.Name}")).Prepend(path);

        var missing = Paths(root, string.Empty).Where(p => !Examples.ByCommand.TryGetValue(p, out var examples) || examples.Length == 0).ToList();
        Assert.Empty(missing);
    }

    [Theory]
    [InlineData("status", "workers status web -o wide")]
    [InlineData("hosts forget", "workers hosts forget node-7")]
    [InlineData("", "workers deploy web.yaml --wait")]
    public async Task Help_ShowsTheExamplesAfterTheUsualHelp(string command, string example)
    {
        var (exit, output, _) = await RunAsync([.. command.Split(' ', StringSplitOptions.RemoveEmptyEntries), "--help"]);

        Assert.Equal(0, exit);
        Assert.Contains("Usage:", output, StringComparison.Ordinal);
        Assert.True(output.IndexOf("Examples:", StringComparison.Ordinal) > output.IndexOf("Options:", StringComparison.Ordinal), output);
        Assert.Contains($"  {example}\n", output, StringComparison.Ordinal);
    }

    [Fact]
    public void Docs_EveryExitCode_IsDocumentedInTheCliPage()
    {
        var page = System.IO.File.ReadAllText(Path.Combine(RepositoryRoot(), "docs", "cli.md"));

        foreach (var code in typeof(ExitCodes).GetFields(BindingFlags.Public | BindingFlags.Static).Select(f => (int)f.GetValue(null)!))
        {
            Assert.Contains($"| {code} |", page, StringComparison.Ordinal);
        }
    }
}
