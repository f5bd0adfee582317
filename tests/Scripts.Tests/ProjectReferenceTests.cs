using System.Diagnostics;

namespace Workers.Scripts.Tests;

/// <summary>
/// <c>scripts/check-references.sh</c>: no project references an executable project's assembly (executables are thin
/// hosts over libraries); a reference only to build a program first (<c>ReferenceOutputAssembly="false"</c>) is allowed.
/// </summary>
public sealed class ProjectReferenceTests : IDisposable
{
    private readonly string _tree = Directory.CreateTempSubdirectory("workers-check-references-").FullName;

    [Fact]
    public async Task CheckReferences_Repository_NoProjectReferencesAnExecutable()
    {
        var (rc, output) = await Run(RepositoryRoot());

        Assert.True(rc == 0, output);
        Assert.Contains(", 0 to an executable", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CheckReferences_TestReferencingAnExeOrFunctionsApp_ListsEachAndFails()
    {
        Project("src/Tool/Tool.csproj", "<OutputType>Exe</OutputType>");
        Project("src/App/App.csproj", "<AzureFunctionsVersion>v4</AzureFunctionsVersion><OutputType>Exe</OutputType>");
        Project("src/Lib/Lib.csproj", "<RootNamespace>Lib</RootNamespace>");
        Project("tests/Tool.Tests/Tool.Tests.csproj", "", "../../src/Tool/Tool.csproj", "../../src/App/App.csproj", "../../src/Lib/Lib.csproj");

        var (rc, output) = await Run(_tree);

        Assert.Equal(1, rc);
        Assert.Contains("tests/Tool.Tests/Tool.Tests.csproj: references executable src/Tool/Tool.csproj", output, StringComparison.Ordinal);
        Assert.Contains("tests/Tool.Tests/Tool.Tests.csproj: references executable src/App/App.csproj", output, StringComparison.Ordinal);
        Assert.DoesNotContain("src/Lib/Lib.csproj", output, StringComparison.Ordinal);
        Assert.Contains("references: 3 checked, 2 to an executable", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CheckReferences_ExeReferencedOnlyToBuildItFirst_Passes()
    {
        Project("src/Tool/Tool.csproj", "<OutputType>Exe</OutputType>");
        File.WriteAllText(Path.Combine(Directory.CreateDirectory(Path.Combine(_tree, "tests/Tool.Tests")).FullName, "Tool.Tests.csproj"), """
            <Project Sdk="Microsoft.NET.Sdk">
              <ItemGroup>
                <ProjectReference Include="../../src/Tool/Tool.csproj" ReferenceOutputAssembly="false" />
              </ItemGroup>
            </Project>
            """);

        var (rc, output) = await Run(_tree);

        Assert.True(rc == 0, output);
        Assert.Contains("references: 1 checked, 0 to an executable", output, StringComparison.Ordinal);
    }

    public void Dispose() => Directory.Delete(_tree, recursive: true);

    private void Project(string path, string properties, params string[] references)
    {
        var file = Path.Combine(_tree, path);
        Directory.CreateDirectory(Path.GetDirectoryName(file)!);
        var items = string.Concat(references.Select(r => $"\n    <ProjectReference Include=\"{r}\" />"));
        File.WriteAllText(file, $"<Project Sdk=\"Microsoft.NET.Sdk\">\n  <PropertyGroup>{properties}</PropertyGroup>\n  <ItemGroup>{items}\n  </ItemGroup>\n</Project>\n");
    }

    private static async Task<(int ExitCode, string Output)> Run(string root)
    {
        var start = new ProcessStartInfo("/bin/bash") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(Path.Combine(RepositoryRoot(), "scripts", "check-references.sh"));
        start.ArgumentList.Add(root);
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await stdout + await stderr);
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Workers.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("Workers.sln not found above " + AppContext.BaseDirectory);
    }
}
