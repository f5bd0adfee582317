using System.Diagnostics;
using System.Globalization;
using Workers.Contracts.Messages;
using Workers.Contracts.Spec;
using Workers.Functions.Store;

namespace Workers.Bench;

/// <summary>
/// <c>workers status</c> on the embedded default as a whole process (start to exit), against <c>docker ps</c> on the same
/// machine: the read-only commands read the store and start nothing else, and the target is within 10× of <c>docker ps</c>.
/// The store holds 10 deployments of 3 running replicas each. Beside it, <c>workers status</c> over HTTP against a
/// running <c>workers serve</c> (on a store of its own, empty: its agent would otherwise start the seeded replicas).
/// </summary>
internal static class CliReadBench
{
    public static async Task<IEnumerable<string>> RunAsync(int runs)
    {
        var samples = Math.Max(11, runs * 4);
        var directory = Directory.CreateTempSubdirectory("workers-bench-cli-").FullName;
        try
        {
            var store = Path.Combine(directory, "workers.db");
            await SeedAsync(store);
            // No contexts: the embedded sides must not go to a server the user happens to run.
            var environment = new Dictionary<string, string> { ["WORKERS_STORE"] = store, ["XDG_CONFIG_HOME"] = Path.Combine(directory, "no-config") };
            // The CLI as built in src/Cli.Host, as a user runs it (the copy beside the harness resolves the harness's assemblies).
            var dll = ChildProcess.BuiltDll("Cli.Host", "workers");
            var apphost = Path.Combine(Path.GetDirectoryName(dll)!, "workers");
            var sides = new List<(string Name, string File, string[] Arguments, IReadOnlyDictionary<string, string> Environment)>
            {
                ("`docker ps`", "docker", ["ps"], environment),
                ("`dotnet workers.dll status`", "dotnet", [dll, "status"], environment),
            };
            if (File.Exists(apphost))
            {
                sides.Add(("`workers status` (the apphost)", apphost, ["status"], environment));
                sides.Add(("`workers --version` (the apphost: the .NET process floor, no store)", apphost, ["--version"], environment));
            }

            // As installed: `dotnet publish src/Cli.Host` compiles it ahead of time (ReadyToRun); scripts/bench.sh
            // publishes it there and names it.
            var published = ChildProcess.PublishedCli();
            if (published is not null)
            {
                sides.Add(("`workers status` (published: self-contained, composite ReadyToRun)", published, ["status"], environment));
                sides.Add(("`workers --version` (published: self-contained, composite ReadyToRun)", published, ["--version"], environment));
            }

            var served = new Dictionary<string, string>
            {
                ["WORKERS_STORE"] = Path.Combine(directory, "served.db"),
                ["XDG_CONFIG_HOME"] = Path.Combine(directory, "config"),
                ["XDG_DATA_HOME"] = Path.Combine(directory, "data"),
                ["WORKERS_HOST_ID"] = "bench-serve",
            };
            using var serve = StartServe(dll, served);
            if (serve is not null)
            {
                sides.Add(published is not null
                    ? ("`workers status` over HTTP (published, against a running `workers serve`, its store empty)", published, ["status"], served)
                    : ("`workers status` over HTTP (the apphost, against a running `workers serve`, its store empty)", File.Exists(apphost) ? apphost : "dotnet", File.Exists(apphost) ? ["status"] : [dll, "status"], served));
            }

            // One warm-up each (the page cache, Docker's first answer), then the sides alternate run by run.
            var times = sides.ToDictionary(s => s.Name, _ => new List<double>());
            for (var i = -1; i < samples; i++)
            {
                foreach (var side in sides)
                {
                    var seconds = Time(side.File, side.Arguments, side.Environment);
                    if (i >= 0 && seconds is { } value)
                    {
                        times[side.Name].Add(value);
                    }
                }
            }

            var lines = new List<string>
            {
                "## Reads: `workers status` on the embedded default against `docker ps`",
                $"Whole processes, start to exit, {samples} runs each after one warm-up, sides alternating; the store holds 10 deployments × 3 running replicas; no broker, no agent. Milliseconds. Target: within 10× of `docker ps` at the median.",
                string.Empty,
                "| command | median | min–max | / `docker ps` |",
                "|---|---:|---:|---:|",
            };
            var docker = times["`docker ps`"] is { Count: > 0 } d ? Median(d) : (double?)null;
            foreach (var side in sides)
            {
                var values = times[side.Name];
                if (values.Count == 0)
                {
                    lines.Add($"| {side.Name} | not measured (it failed or is missing) | | |");
                    continue;
                }

                var median = Median(values);
                var ratio = docker is { } floor ? (median / floor).ToString("0.0", CultureInfo.InvariantCulture) + "×" : "—";
                lines.Add($"| {side.Name} | {Ms(median)} | {Ms(values.Min())}–{Ms(values.Max())} | {ratio} |");
            }

            if (serve is null)
            {
                lines.Add("| `workers status` over HTTP | not measured (`workers serve` did not get ready: is Docker running?) | | |");
            }
            else
            {
                StopServe(serve);
            }

            return lines;
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    /// <summary>
    /// <c>workers serve</c> as a process (<c>dotnet <paramref name="program"/></c> for a <c>.dll</c>, else the executable
    /// itself), once it says its context is saved; null when it is not ready within two minutes.
    /// </summary>
    internal static Process? StartServe(string program, IReadOnlyDictionary<string, string> environment)
    {
        var info = program.EndsWith(".dll", StringComparison.Ordinal) ? new ProcessStartInfo("dotnet", [program, "serve"]) : new ProcessStartInfo(program, ["serve"]);
        info.RedirectStandardOutput = true;
        info.RedirectStandardError = true;
        info.UseShellExecute = false;
        info.Environment.Remove("WORKERS_BROKER");
        info.Environment.Remove("WORKERS_SERVER");
        foreach (var (key, value) in environment)
        {
            info.Environment[key] = value;
        }

        var process = Process.Start(info)!;
        var ready = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        process.OutputDataReceived += (_, line) =>
        {
            if (line.Data?.StartsWith("context 'local' saved", StringComparison.Ordinal) == true)
            {
                ready.TrySetResult(true);
            }
        };
        process.ErrorDataReceived += (_, _) => { };
        process.Exited += (_, _) => ready.TrySetResult(false);
        process.EnableRaisingEvents = true;
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        if (ready.Task.Wait(TimeSpan.FromMinutes(2)) && ready.Task.Result)
        {
            return process;
        }

        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: true);
        }

        process.Dispose();
        return null;
    }

    /// <summary>Stops a server <see cref="StartServe"/> started as Ctrl+C would (SIGTERM), and kills it if it has not ended within 40 s.</summary>
    internal static void StopServe(Process serve)
    {
        using var term = Process.Start("kill", ["-TERM", serve.Id.ToString(CultureInfo.InvariantCulture)]);
        term.WaitForExit();
        if (!serve.WaitForExit(TimeSpan.FromSeconds(40)))
        {
            serve.Kill(entireProcessTree: true);
        }
    }

    private static async Task SeedAsync(string path)
    {
        var store = new SqlDeploymentStore(StoreSettings.Dialect(path, path));
        await store.MigrateAsync(CancellationToken.None);
        var now = DateTimeOffset.UtcNow;
        await store.UpsertHostAsync(new HostHeartbeat(Guid.NewGuid(), Guid.NewGuid(), now, "local", new Dictionary<string, string>(), "127.0.0.1", 2000, 8L << 30, 2000, 8L << 30, [], []), now, CancellationToken.None);
        for (var d = 0; d < 10; d++)
        {
            var spec = SpecParser.Parse(System.Text.Encoding.UTF8.GetBytes($"name: web-{d}\nimage: workers-test/httpd:1\nreplicas: 3\nports: [{{container: 8080}}]\n"), "bench.yaml").Spec!;
            var id = Guid.NewGuid();
            var placements = Enumerable.Range(0, 3).Select(i => new ReplicaPlacement(i, "local", [new PortBinding(8080, 30000 + (d * 3) + i, Protocol.Tcp)])).ToList();
            await store.SavePlanAsync(id, spec, "bench", placements, [], now, CancellationToken.None);
            foreach (var placement in placements)
            {
                await store.UpdateReplicaAsync(id, placement.Index, ReplicaState.Running, $"{id:N}", placement.Ports, null, now, CancellationToken.None);
            }
        }
    }

    /// <summary>Seconds from start to exit, or null when the command failed.</summary>
    internal static double? Time(string file, string[] arguments, IReadOnlyDictionary<string, string> environment)
    {
        var info = new ProcessStartInfo(file, arguments) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.Environment.Remove("WORKERS_BROKER");
        info.Environment.Remove("WORKERS_SERVER");
        foreach (var (key, value) in environment)
        {
            info.Environment[key] = value;
        }

        var clock = Stopwatch.StartNew();
        try
        {
            using var process = Process.Start(info)!;
            process.StandardOutput.ReadToEnd();
            process.StandardError.ReadToEnd();
            process.WaitForExit();
            clock.Stop();
            return process.ExitCode == 0 ? clock.Elapsed.TotalSeconds : null;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return null;
        }
    }

    internal static double Median(List<double> values) => values.Order().ElementAt(values.Count / 2);

    internal static string Ms(double seconds) => (seconds * 1000).ToString("0", CultureInfo.InvariantCulture);
}
