namespace Workers.Bench;

/// <summary>The repository's root (where Workers.sln is), found from the harness's own binaries.</summary>
internal static class Root
{
    public static string Path { get; } = Find();

    private static string Find()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(System.IO.Path.Combine(directory.FullName, "Workers.sln")))
        {
            directory = directory.Parent;
        }

        return directory?.FullName ?? throw new InvalidOperationException("Workers.sln not found above the harness's binaries");
    }
}
