namespace Workers.Micro;

/// <summary>Files of the repository, found upwards from the benchmark's own directory (BenchmarkDotNet runs a copy under bin/).</summary>
internal static class Repository
{
    public static string File(params string[] parts)
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (System.IO.File.Exists(Path.Combine(directory.FullName, "Workers.sln")))
            {
                return Path.Combine([directory.FullName, .. parts]);
            }
        }

        throw new InvalidOperationException($"Workers.sln not found above {AppContext.BaseDirectory}");
    }
}
