using System.Diagnostics;
using System.Globalization;

namespace Workers.Bench;

/// <summary>
/// <c>workers deploy</c> of 10 replicas and then <c>workers delete</c> on the embedded default, as whole processes, against
/// the pair a Docker user runs: <c>docker run -d</c> ten times in parallel, then one <c>docker rm -f</c> of them. The spec
/// asks for no readiness time (<c>update.minReady: 0s</c>): <c>docker run</c> waits for none, and the default 5 s would
/// be measured as Workers' own. The default runs the commands against the server the first one starts in the background;
/// with <c>WORKERS_AUTO_SERVE=off</c> each starts the pipeline itself. Target: within 1.3× of the Docker pair at the median.
/// </summary>
internal static class CliDeployBench
{
    private const int Replicas = 10;

    public static IEnumerable<string> Run(int runs)
    {
        var rounds = Math.Max(5, runs * 2);
        var directory = Directory.CreateTempSubdirectory("workers-bench-deploy-").FullName;
        try
        {
            var spec = Path.Combine(directory, "bench.yaml");
            File.WriteAllText(spec, $"name: bench-deploy\nimage: {TestImages.Workload}\nreplicas: {Replicas}\nports:\n  - container: 8080\nupdate:\n  minReady: 0s\n");
            var built = ChildProcess.BuiltDll("Cli.Host", "workers");
            var published = ChildProcess.PublishedCli();
            var perCommand = EnvironmentIn(directory, "embedded");
            perCommand[Workers.Cli.BackgroundServer.Variable] = "off";
            var sides = new List<Side> { new("`workers` as built (`dotnet workers.dll`), each command starting the pipeline (`WORKERS_AUTO_SERVE=off`)", "dotnet", [built], perCommand, []) };
            if (published is not null)
            {
                sides.Add(new("`workers` published (self-contained, composite ReadyToRun), each command starting the pipeline (`WORKERS_AUTO_SERVE=off`)", published, [], perCommand, []));
            }

            // The default: the first command starts `workers serve` in the background (the same pipeline kept in a
            // process of its own, as dockerd is on Docker's side) and the commands are its clients, with --wait.
            var served = new Side(
                $"`workers` {(published is null ? "as built" : "published")}, the default: the warm-up's first command started `workers serve` in the background",
                published ?? "dotnet",
                published is null ? [built] : [],
                EnvironmentIn(directory, "served"),
                ["--wait"]);
            sides.Add(served);

            var workers = sides.ToDictionary(s => s.Name, _ => new List<(double Deploy, double Delete)>());
            var docker = new List<(double Run, double Remove)>();
            double? firstDeploy = null;
            try
            {
                for (var round = -1; round < rounds; round++)
                {
                    foreach (var side in sides)
                    {
                        var deploy = CliReadBench.Time(side.File, [.. side.Prefix, "deploy", .. side.Wait, spec], side.Environment);
                        var delete = CliReadBench.Time(side.File, [.. side.Prefix, "delete", .. side.Wait, "bench-deploy"], side.Environment);
                        if (round < 0 && side == served)
                        {
                            firstDeploy = deploy;
                        }

                        if (round >= 0 && deploy is { } d && delete is { } r)
                        {
                            workers[side.Name].Add((d, r));
                        }
                    }

                    if (DockerPair() is { } pair && round >= 0)
                    {
                        docker.Add(pair);
                    }
                }
            }
            finally
            {
                CliReadBench.Time(served.File, [.. served.Prefix, "serve", "stop"], served.Environment);
            }

            var floor = docker.Count > 0 ? CliReadBench.Median([.. docker.Select(p => p.Run + p.Remove)]) : (double?)null;
            var lines = new List<string>
            {
                "## Deploy and delete: `workers` on the embedded default against `docker run` and `docker rm`",
                $"Whole processes, start to exit, {rounds} rounds after one warm-up, the sides one after the other in each round; {Replicas} replicas of {TestImages.Workload} with a published port, `update.minReady: 0s`. `workers deploy` returns once every replica runs and `workers delete` once every container is gone (stopped, then removed); the Docker pair is `docker run -d` {Replicas} times in parallel, then one `docker rm -f` of them. By default the first command starts `workers serve` in the background (the same pipeline kept in a process of its own, as dockerd is for `docker`) and the commands are its clients, with `--wait`; with `WORKERS_AUTO_SERVE=off` each command starts the embedded pipeline in its own process. Milliseconds. Target: within 1.3× of the Docker pair at the median.",
                string.Empty,
                "| side | deploy (run) | delete (rm) | together: median | min–max | / Docker |",
                "|---|---:|---:|---:|---:|---:|",
            };
            if (floor is { } f)
            {
                lines.Add($"| `docker run -d` ×{Replicas}, `docker rm -f` | {CliReadBench.Ms(CliReadBench.Median([.. docker.Select(p => p.Run)]))} | {CliReadBench.Ms(CliReadBench.Median([.. docker.Select(p => p.Remove)]))} | {CliReadBench.Ms(f)} | {CliReadBench.Ms(docker.Min(p => p.Run + p.Remove))}–{CliReadBench.Ms(docker.Max(p => p.Run + p.Remove))} | 1.00 |");
            }

            foreach (var name in workers.Keys)
            {
                var values = workers[name];
                if (values.Count == 0)
                {
                    lines.Add($"| {name} | not measured (a deploy or delete failed, or the server did not start: is Docker running?) | | | | |");
                    continue;
                }

                var together = CliReadBench.Median([.. values.Select(v => v.Deploy + v.Delete)]);
                var ratio = floor is { } docker0 ? (together / docker0).ToString("0.00", CultureInfo.InvariantCulture) : "—";
                lines.Add($"| {name} | {CliReadBench.Ms(CliReadBench.Median([.. values.Select(v => v.Deploy)]))} | {CliReadBench.Ms(CliReadBench.Median([.. values.Select(v => v.Delete)]))} | {CliReadBench.Ms(together)} | {CliReadBench.Ms(values.Min(v => v.Deploy + v.Delete))}–{CliReadBench.Ms(values.Max(v => v.Deploy + v.Delete))} | {ratio} |");
            }

            lines.Add(string.Empty);
            lines.Add(firstDeploy is { } first
                ? $"The default's first command, which started the server and then deployed (the warm-up, not in the table): {CliReadBench.Ms(first)} ms."
                : "The default's first command failed: the server did not start or the deploy failed.");
            return lines;
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    /// <summary>A store, configuration and data directory of their own under <paramref name="directory"/>.</summary>
    private static Dictionary<string, string> EnvironmentIn(string directory, string name)
    {
        var own = Directory.CreateDirectory(Path.Combine(directory, name)).FullName;
        return new()
        {
            ["WORKERS_STORE"] = Path.Combine(own, "workers.db"),
            ["XDG_CONFIG_HOME"] = Path.Combine(own, "config"),
            ["XDG_DATA_HOME"] = Path.Combine(own, "data"),
        };
    }

    /// <summary>One way of running the commands: the program, what goes before the command, its environment, and the flags that make it wait.</summary>
    private sealed record Side(string Name, string File, string[] Prefix, Dictionary<string, string> Environment, string[] Wait);

    /// <summary>
    /// Seconds for <c>docker run -d</c> ×10 in parallel, and for the one <c>docker rm -f</c> of them; null when one
    /// failed. The ten processes are all started before any is waited for, as a shell's <c>&amp;</c> starts them: each on
    /// a thread-pool thread of its own would start only as fast as the pool adds threads (two here, then about one
    /// every half second), which added 100–500 ms to Docker's side before 2026-11-28.
    /// </summary>
    private static (double Run, double Remove)? DockerPair()
    {
        var label = $"workers-bench.deploy={Guid.NewGuid():N}";
        var clock = Stopwatch.StartNew();
        var runs = Enumerable.Range(0, Replicas).Select(_ => DockerAsync(["run", "-d", "--label", label, "-p", "127.0.0.1::8080", TestImages.Workload])).ToArray();
        var ids = Task.WhenAll(runs).GetAwaiter().GetResult().Select(id => id?.Trim()).ToList();
        var run = clock.Elapsed.TotalSeconds;
        if (ids.Any(id => string.IsNullOrEmpty(id)))
        {
            DockerAsync(["rm", "-f", .. ids.Where(id => !string.IsNullOrEmpty(id)).Select(id => id!)]).GetAwaiter().GetResult();
            return null;
        }

        clock.Restart();
        var removed = DockerAsync(["rm", "-f", .. ids.Select(id => id!)]).GetAwaiter().GetResult();
        return removed is null ? null : (run, clock.Elapsed.TotalSeconds);
    }

    /// <summary>Starts the docker CLI at once; its standard output, or null when it failed.</summary>
    private static async Task<string?> DockerAsync(string[] arguments)
    {
        var info = new ProcessStartInfo("docker", arguments) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        await error;
        return process.ExitCode == 0 ? await output : null;
    }
}
