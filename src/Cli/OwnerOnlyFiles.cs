namespace Workers.Cli;

/// <summary>The CLI's own files (its config, the local server's record): directories 0700, files written whole and 0600.</summary>
internal static class OwnerOnlyFiles
{
    /// <summary>Creates <paramref name="directory"/> (and its parents) if missing, owner-only on Unix.</summary>
    public static void CreateDirectory(string directory)
    {
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(directory);
        }
        else
        {
            Directory.CreateDirectory(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
    }

    /// <summary>
    /// Replaces <paramref name="path"/> with <paramref name="text"/>: a temporary file created 0600 beside it, then
    /// renamed over it, so a reader sees the old file or the new one whole, never half of one.
    /// </summary>
    public static void Replace(string path, string text)
    {
        CreateDirectory(Path.GetDirectoryName(path)!);
        var temporary = $"{path}.{Environment.ProcessId}.tmp";
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        using (var writer = new StreamWriter(temporary, new System.Text.UTF8Encoding(false), options))
        {
            writer.Write(text);
        }

        File.Move(temporary, path, overwrite: true);
    }
}
