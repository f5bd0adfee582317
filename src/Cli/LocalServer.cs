using System.Collections;
using System.Globalization;
using System.Reflection;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using Workers.Contracts.Versioning;
using Workers.Functions.Store;

namespace Workers.Cli;

/// <summary>
/// What one user's <c>workers serve</c> leaves beside the embedded default's store: a lock held while it runs (so there
/// is one at a time, and a crash frees it), a record of which process it is and what it was started with, and, for the
/// one a command started in the background, its log.
/// </summary>
internal sealed record LocalServerFiles(string Lock, string Record, string Log)
{
    public static LocalServerFiles Default
    {
        get
        {
            var directory = Path.GetDirectoryName(StoreSettings.DefaultSqlitePath())!;
            return new(Path.Combine(directory, "serve.lock"), Path.Combine(directory, "serve.record"), Path.Combine(directory, "serve.log"));
        }
    }

    /// <summary>The lock, or null when a server holds it. Held until disposed or the process ends, however it ends.</summary>
    public FileStream? TryLock()
    {
        OwnerOnlyFiles.CreateDirectory(Path.GetDirectoryName(Lock)!);

        try
        {
            // FileShare.None is an exclusive flock(2) on Unix: the kernel releases it when the process dies.
            return new FileStream(Lock, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException)
        {
            return null;
        }
    }

    /// <summary>Whether a server runs (holds the lock) now.</summary>
    public bool Held()
    {
        using var probe = TryLock();
        return probe is null;
    }
}

/// <summary>
/// Which server process runs and what it was started with: its build and a digest of the settings that shape the
/// embedded pipeline, so a command of another build or with other settings does not use a server started by a command.
/// </summary>
internal sealed partial record LocalServerRecord(int ProcessId, string Build, string Settings, bool Background)
{
    /// <summary>The settings a command reads for itself and that do not shape the pipeline.</summary>
    private static readonly HashSet<string> CommandOnly = new(StringComparer.Ordinal)
    {
        BackgroundServer.Variable, CliLogging.Variable, "WORKERS_TOKEN", "WORKERS_SERVER", "WORKERS_BROKER",
    };

    /// <summary>This process: its build (version, commit and the code of its assemblies) and its settings.</summary>
    public static LocalServerRecord Current(bool background) =>
        new(Environment.ProcessId, ThisBuild(), SettingsDigest(Environment.GetEnvironmentVariables()), background);

    /// <summary>
    /// The build with the identity of the compiled code of the pipeline's assemblies: a rebuild from a changed working
    /// tree has the same version and commit but another module id.
    /// </summary>
    public static string ThisBuild()
    {
        Assembly[] pipeline = [typeof(LocalServerRecord).Assembly, typeof(Functions.Store.IDeploymentStore).Assembly, typeof(HostAgent.Agent.AgentOptions).Assembly, typeof(Contracts.Spec.DeploymentSpec).Assembly, typeof(Intake.IntakeRegistration).Assembly];
        return BuildVersion.Of(pipeline[0]) + "+" + string.Join('.', pipeline.Select(a => a.ManifestModule.ModuleVersionId.ToString("N")[..8]));
    }

    /// <summary>
    /// A digest of the settings that shape the pipeline (values included, never stored): every <c>WORKERS_*</c> but the
    /// command's own and the test suite's image names (<c>WORKERS_TEST_*</c>), and <c>DOCKER_HOST</c>, the one Docker
    /// setting the agent reads (it negotiates the API version itself: <c>DOCKER_API_VERSION</c> is not read).
    /// </summary>
    public static string SettingsDigest(IDictionary environment)
    {
        var text = new StringBuilder();
        foreach (var name in environment.Keys.Cast<string>().Where(ShapesThePipeline).Order(StringComparer.Ordinal))
        {
            text.Append(name).Append('=').Append(environment[name]).Append('\0');
        }

        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())));
    }

    private static bool ShapesThePipeline(string name) =>
        name == "DOCKER_HOST"
        || (name.StartsWith("WORKERS_", StringComparison.Ordinal) && !name.StartsWith("WORKERS_TEST_", StringComparison.Ordinal) && !CommandOnly.Contains(name));

    /// <summary>The record in <paramref name="path"/>, or null when there is none or it does not parse.</summary>
    public static LocalServerRecord? Read(string path)
    {
        string[] lines;
        try
        {
            lines = File.ReadAllLines(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }

        var fields = lines.Select(l => l.Split('=', 2)).Where(p => p.Length == 2).ToDictionary(p => p[0], p => p[1], StringComparer.Ordinal);
        return fields.TryGetValue("pid", out var pid) && int.TryParse(pid, NumberStyles.None, CultureInfo.InvariantCulture, out var processId)
            && fields.TryGetValue("build", out var build) && fields.TryGetValue("settings", out var settings) && fields.TryGetValue("background", out var background)
            ? new LocalServerRecord(processId, build, settings, background == "true")
            : null;
    }

    /// <summary>Writes the record whole and owner-only (a new file moved into place): a reader never sees half of it.</summary>
    public void Write(string path) =>
        OwnerOnlyFiles.Replace(path, string.Create(CultureInfo.InvariantCulture, $"pid={ProcessId}\nbuild={Build}\nsettings={Settings}\nbackground={(Background ? "true" : "false")}\n"));

    /// <summary>Asks the process to stop as Ctrl+C or <c>kill</c> would (SIGTERM); false when it is already gone.</summary>
    public bool SignalStop() => OperatingSystem.IsWindows() ? StopOnWindows() : Native.Kill(ProcessId, Native.SigTerm) == 0;

    private bool StopOnWindows()
    {
        try
        {
            using var process = System.Diagnostics.Process.GetProcessById(ProcessId);
            process.Kill();
            return true;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    private static partial class Native
    {
        public const int SigTerm = 15;

        [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
        public static partial int Kill(int pid, int signal);
    }
}
