using System.Diagnostics;
using System.Reflection;
using System.Text;
using System.Text.Json;

namespace Workers.Cli.Tests;

/// <summary>Drives <c>workers</c> in-process, with files in a temporary directory and captured output.</summary>
public sealed class ValidateCommandTests : IDisposable
{
    private const string ValidYaml = "name: web\nimage: nginx\nports: [{container: 80}]\n";
    private const string InvalidYaml = "name: web\nimage: nginx\nreplicas: 0\nports:\n  - container: 70000\n";

    private readonly string _directory = Directory.CreateTempSubdirectory("workers-cli-tests-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private string File(string name, string content)
    {
        var path = Path.Combine(_directory, name);
        System.IO.File.WriteAllText(path, content);
        return path;
    }

    private static async Task<(int Exit, string Out, string Error)> RunAsync(string[] args, byte[]? stdin = null)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var console = new CliConsole(() => new MemoryStream(stdin ?? []), output, error);
        var exit = await WorkersCli.RunAsync(args, console);
        return (exit, output.ToString(), error.ToString());
    }

    private static string[] Lines(string text) => text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    private static JsonElement[] JsonProblems(string output)
    {
        using var document = JsonDocument.Parse(output);
        Assert.Equal(JsonValueKind.Array, document.RootElement.ValueKind);
        return [.. document.RootElement.EnumerateArray().Select(e => e.Clone())];
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

    // ---- exit codes and text output ------------------------------------------------------------------------

    [Fact]
    public async Task Validate_ValidFile_ExitsZeroWithNoProblemLines()
    {
        var file = File("web.yaml", ValidYaml);

        var (exit, output, error) = await RunAsync(["validate", file]);

        Assert.Equal(0, exit);
        Assert.Empty(output);
        Assert.Contains("1 valid, 0 invalid", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Validate_InvalidFile_ExitsOneWithFileLineColumnPathMessage()
    {
        var file = File("bad.yaml", InvalidYaml);

        var (exit, output, _) = await RunAsync(["validate", file]);

        Assert.Equal(1, exit);
        Assert.Equal(
            [
                $"{file}:3:11: replicas: must be between 1 and 10000, got 0",
                $"{file}:5:16: ports[0].container: port must be between 1 and 65535, got 70000",
            ],
            Lines(output));
    }

    [Fact]
    public async Task Validate_JsonFormat_PrintsArrayWithEveryField()
    {
        var file = File("bad.yaml", InvalidYaml);

        var (exit, output, _) = await RunAsync(["validate", "--format", "json", file]);

        Assert.Equal(1, exit);
        var problems = JsonProblems(output);
        Assert.Equal(2, problems.Length);
        var first = problems[0];
        Assert.Equal(
            ["file", "line", "column", "path", "code", "message"],
            first.EnumerateObject().Select(p => p.Name));
        Assert.Equal(file, first.GetProperty("file").GetString());
        Assert.Equal(3, first.GetProperty("line").GetInt32());
        Assert.Equal(11, first.GetProperty("column").GetInt32());
        Assert.Equal("replicas", first.GetProperty("path").GetString());
        Assert.Equal("replicas.range", first.GetProperty("code").GetString());
        Assert.Equal("must be between 1 and 10000, got 0", first.GetProperty("message").GetString());
        Assert.Equal(("ports[0].container", "port.range"), (problems[1].GetProperty("path").GetString(), problems[1].GetProperty("code").GetString()));
    }

    [Fact]
    public async Task Validate_JsonFormatValidFile_PrintsEmptyArray()
    {
        var file = File("web.yaml", ValidYaml);

        var (exit, output, _) = await RunAsync(["validate", file, "--format", "json"]);

        Assert.Equal(0, exit);
        Assert.Empty(JsonProblems(output));
        Assert.Equal("[]", output.Trim());
    }

    [Fact]
    public async Task Validate_JsonFormatMessageWithQuotes_ParsesBackToSameText()
    {
        var file = File("bad.yaml", "name: web\nimage: nginx\nreplica: 1\n");

        var (_, output, _) = await RunAsync(["validate", "--format", "json", file]);

        Assert.Equal("unknown key 'replica'; did you mean 'replicas'?", Assert.Single(JsonProblems(output)).GetProperty("message").GetString());
    }

    [Fact]
    public async Task Validate_Dash_ReadsStandardInput()
    {
        var (exit, output, _) = await RunAsync(["validate", "-"], Encoding.UTF8.GetBytes("name: web\n"));

        Assert.Equal(1, exit);
        Assert.Equal(["-:1:1: image: 'image' is required"], Lines(output));
    }

    [Fact]
    public async Task Validate_DashWithValidJson_ExitsZero()
    {
        var (exit, output, _) = await RunAsync(["validate", "--format", "json", "-"], Encoding.UTF8.GetBytes("{\"name\": \"web\", \"image\": \"nginx\"}"));

        Assert.Equal(0, exit);
        Assert.Empty(JsonProblems(output));
    }

    [Fact]
    public async Task Validate_JsonExtension_ReadAsJson()
    {
        // A trailing comma is valid nowhere in JSON, so the problem shows the file was read as JSON.
        var file = File("web.json", "{\"name\": \"web\", \"image\": \"nginx\",}");

        var (exit, output, _) = await RunAsync(["validate", "--format", "json", file]);

        Assert.Equal(1, exit);
        var problem = Assert.Single(JsonProblems(output));
        Assert.Equal("document.syntax", problem.GetProperty("code").GetString());
        Assert.StartsWith("not valid JSON", problem.GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Validate_MissingFile_ExitsTwoWithMessageOnStandardError()
    {
        var missing = Path.Combine(_directory, "missing.yaml");

        var (exit, output, error) = await RunAsync(["validate", missing]);

        Assert.Equal(2, exit);
        Assert.Empty(output);
        Assert.Contains($"cannot read {missing}", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Validate_MissingAndInvalidFiles_ExitsTwoAndStillReportsTheInvalidOne()
    {
        var bad = File("bad.yaml", InvalidYaml);

        var (exit, output, error) = await RunAsync(["validate", Path.Combine(_directory, "missing.yaml"), bad]);

        Assert.Equal(2, exit);
        Assert.Equal(2, Lines(output).Length);
        Assert.All(Lines(output), line => Assert.StartsWith(bad + ":", line, StringComparison.Ordinal));
        Assert.Contains("1 unreadable", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Validate_Directory_ExitsTwo()
    {
        var (exit, _, error) = await RunAsync(["validate", _directory]);

        Assert.Equal(2, exit);
        Assert.Contains("cannot read", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Validate_SeveralFilesWithProblems_ReportsEveryFileInOneRun()
    {
        var first = File("a.yaml", InvalidYaml);
        const string json = "{\"name\": \"Web\", \"image\": \"nginx\", \"ports\": [{\"container\": 80}, {\"container\": 80}]}";
        var second = File("b.json", json);
        var valid = File("c.yaml", ValidYaml);

        var (exit, output, error) = await RunAsync(["validate", first, valid, second]);

        Assert.Equal(1, exit);
        Assert.Equal(
            [
                $"{first}:3:11: replicas",
                $"{first}:5:16: ports[0].container",
                $"{second}:1:10: name",
                $"{second}:1:{json.LastIndexOf("80", StringComparison.Ordinal) + 1}: ports[1].container",
            ],
            Lines(output).Select(line => line[..line.IndexOf(": ", line.IndexOf(": ", StringComparison.Ordinal) + 2, StringComparison.Ordinal)]));
        Assert.Contains("3 file(s) checked: 1 valid, 2 invalid (4 problem(s))", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Validate_SeveralFilesJsonFormat_OneArrayForAll()
    {
        var first = File("a.yaml", InvalidYaml);
        var second = File("b.yaml", "name: web\n");

        var (exit, output, _) = await RunAsync(["validate", "--format", "json", first, second]);

        Assert.Equal(1, exit);
        Assert.Equal(
            [(first, "replicas"), (first, "ports[0].container"), (second, "image")],
            JsonProblems(output).Select(p => (p.GetProperty("file").GetString(), p.GetProperty("path").GetString())));
    }

    [Fact]
    public async Task Validate_FileOverOneMebibyte_ReportsTooLarge()
    {
        var path = Path.Combine(_directory, "huge.yaml");
        await System.IO.File.WriteAllBytesAsync(path, new byte[3 * 1024 * 1024]);

        var (exit, output, _) = await RunAsync(["validate", "--format", "json", path]);

        Assert.Equal(1, exit);
        Assert.Equal("document.too-large", Assert.Single(JsonProblems(output)).GetProperty("code").GetString());
    }

    // ---- usage errors --------------------------------------------------------------------------------------

    [Fact]
    public async Task Run_NoArguments_ExitsTwo()
    {
        var (exit, output, error) = await RunAsync([]);

        Assert.Equal(2, exit);
        Assert.Empty(output);
        Assert.Contains("workers --help", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Validate_NoFiles_ExitsTwo()
    {
        var (exit, _, error) = await RunAsync(["validate"]);

        Assert.Equal(2, exit);
        Assert.Contains("workers: ", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_UnknownOption_ExitsTwo()
    {
        var (exit, _, error) = await RunAsync(["--frobnicate"]);

        Assert.Equal(2, exit);
        Assert.Contains("--frobnicate", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Validate_UnknownOption_ExitsTwo()
    {
        var file = File("web.yaml", ValidYaml);

        var (exit, output, error) = await RunAsync(["validate", file, "--frobnicate"]);

        Assert.Equal(2, exit);
        Assert.Empty(output);
        Assert.Contains("Unrecognized option '--frobnicate'", error, StringComparison.Ordinal);
        Assert.DoesNotContain("cannot read", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Validate_FileNamedLikeOptionWithPathPrefix_IsRead()
    {
        File("-odd.yaml", ValidYaml);

        var (exit, _, _) = await RunAsync(["validate", Path.Combine(_directory, "-odd.yaml")]);

        Assert.Equal(0, exit);
    }

    [Fact]
    public async Task Run_UnknownCommand_ExitsTwo()
    {
        var (exit, _, error) = await RunAsync(["deploy-everything"]);

        Assert.Equal(2, exit);
        Assert.Contains("deploy-everything", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Validate_FormatXml_ExitsTwoBeforeReadingFiles()
    {
        var file = File("bad.yaml", InvalidYaml);

        var (exit, output, error) = await RunAsync(["validate", "--format", "xml", file]);

        Assert.Equal(2, exit);
        Assert.Empty(output);
        Assert.Contains("xml", error, StringComparison.Ordinal);
    }

    // ---- help and version ----------------------------------------------------------------------------------

    [Fact]
    public async Task Run_Version_ExitsZeroWithOneLine()
    {
        // In-process, System.CommandLine reports the entry assembly (the test host); the real executable is checked below.
        var (exit, output, error) = await RunAsync(["--version"]);

        Assert.Equal(0, exit);
        Assert.Single(Lines(output));
        Assert.Empty(error);
    }

    [Fact]
    public async Task Executable_Version_PrintsProductVersion()
    {
        var expected = typeof(WorkersCli).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()!.InformationalVersion;
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            ArgumentList = { "exec", Builds.Cli(), "--version" },
            RedirectStandardOutput = true,
        };

        using var process = Process.Start(start)!;
        var output = await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();

        Assert.Equal(0, process.ExitCode);
        Assert.Equal(expected, output.Trim());
        Assert.StartsWith("0.1.0", expected, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_Help_ExitsZeroAndListsValidate()
    {
        var (exit, output, _) = await RunAsync(["--help"]);

        Assert.Equal(0, exit);
        Assert.Contains("validate", output, StringComparison.Ordinal);
        Assert.Contains("--version", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Validate_Help_DescribesFormatOption()
    {
        var (exit, output, _) = await RunAsync(["validate", "--help"]);

        Assert.Equal(0, exit);
        Assert.Contains("--format", output, StringComparison.Ordinal);
        Assert.Contains("FILE", output, StringComparison.Ordinal);
    }

    // ---- the examples in the repository --------------------------------------------------------------------

    [Fact]
    public async Task Validate_ExampleWeb_ExitsZero()
    {
        var (exit, output, _) = await RunAsync(["validate", "--format", "json", Path.Combine(RepositoryRoot(), "examples", "web.yaml")]);

        Assert.Equal(0, exit);
        Assert.Empty(JsonProblems(output));
    }

    [Fact]
    public async Task Validate_ExampleBroken_ExitsOneNamingEveryMistake()
    {
        var (exit, output, _) = await RunAsync(["validate", "--format", "json", Path.Combine(RepositoryRoot(), "examples", "broken.yaml")]);

        Assert.Equal(1, exit);
        var problems = JsonProblems(output).Select(p => (p.GetProperty("line").GetInt32(), p.GetProperty("path").GetString(), p.GetProperty("code").GetString())).ToList();
        Assert.Contains((4, "replica", "field.unknown"), problems);
        Assert.Contains((9, "ports[0].container", "port.range"), problems);
        Assert.Contains((15, "resources.memory", "memory.invalid"), problems);
        Assert.Contains((2, "name", "name.invalid"), problems);
        Assert.Contains((3, "image", "image.invalid"), problems);
        Assert.Contains((6, "env.LOG-LEVEL", "env.key"), problems);
        Assert.Contains((12, "ports[1].protocol", "port.protocol"), problems);
        Assert.Contains((19, "healthCheck.timeout", "health.timeout"), problems);
        Assert.Contains((22, "update", "update.zero"), problems);
        Assert.Equal(14, problems.Count);
    }
}
