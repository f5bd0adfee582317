using System.Reflection;

namespace Workers.Testing;

/// <summary>Where this test run's builds of Workers' programs are, to run them as processes as a user would.</summary>
internal static class Builds
{
    /// <summary>The built <paramref name="assembly"/> (.dll) of the project in <paramref name="projectDirectory"/>, relative to the repository; fails the test when it was not built.</summary>
    public static string Dll(string projectDirectory, string assembly)
    {
        var dll = Path.Combine(RepoRoot(), projectDirectory, "bin", Configuration(), "net10.0", assembly);
        Assert.True(File.Exists(dll), $"{dll} was not built; build Workers.sln first");
        return dll;
    }

    /// <summary>The built <c>workers</c> CLI (src/Cli.Host), run as <c>dotnet workers.dll</c>.</summary>
    public static string Cli() => Dll(Path.Combine("src", "Cli.Host"), "workers.dll");

    private static string Configuration() =>
        typeof(Builds).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Debug";

    private static string RepoRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "Workers.sln")))
        {
            directory = directory.Parent;
        }

        return directory?.FullName ?? throw new InvalidOperationException("Workers.sln not found above the test binaries");
    }
}
