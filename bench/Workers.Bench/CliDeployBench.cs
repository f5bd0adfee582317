using System.Diagnostics;
using System.Globalization;

namespace Workers.Bench;

/// <summary>
/// <c>workers deploy</c> of 10 replicas and then <c>workers delete</c> on the embedded default, as whole processes, against
/// the pair a Docker user runs: <c>docker run -d</c> ten times in parallel, then one <c>docker rm -f</c> of them. The spec
/// asks for no readiness time (<c>update.minReady: 0s</c>): <c>docker run</c> waits for none, and the default 5 s would
/// be measured as Workers' own. Target: within 1.3× of the Docker pair at the median.
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
            var environment = new Dictionary<string, string>
            {
                ["WORKERS_STORE"] = Path.Combine(directory, "workers.db"),
                ["XDG_CONFIG_HOME"] = Path.Combine(directory, "config"),
                ["XDG_DATA_HOME"] = Path.Combine(directory, "data"),
            };
            var built = ChildProcess.BuiltDll("Cli.Host", "workers");
            var sides = new List<(string Name, string File)> { ("`workers` as built (`dotnet workers.dll`)", "dotnet") };
            var published = ChildProcess.PublishedCli();
            if (published is not null)
            {
                sides.Add(("`workers` published (self-contained, composite ReadyToRun)", published));
            }

            var workers = sides.ToDictionary(s => s.Name, _ => new List<(double Deploy, double Delete)>());
            var docker = new List<(double Run, double Remove)>();
            for (var round = -1; round < rounds; round++)
            {
                foreach (var (name, file) in sides)
                {
                    var prefix = file == "dotnet" ? new[] { built } : [];
                    var deploy = CliReadBench.Time(file, [.. prefix, "deploy", spec], environment);
                    var delete = CliReadBench.Time(file, [.. prefix, "delete", "bench-deploy"], environment);
                    if (round >= 0 && deploy is { } d && delete is { } r)
                    {
                        workers[name].Add((d, r));
                    }
                }

                if (DockerPair() is { } pair && round >= 0)
                {
                    docker.Add(pair);
                }
            }

            var floor = docker.Count > 0 ? CliReadBench.Median([.. docker.Select(p => p.Run + p.Remove)]) : (double?)null;
            var lines = new List<string>
            {
                "## Deploy and delete: `workers` on the embedded default against `docker run` and `docker rm`",
                $"Whole processes, start to exit, {rounds} rounds after one warm-up, the sides one after the other in each round; {Replicas} replicas of {TestImages.Workload} with a published port, `update.minReady: 0s`. `workers deploy` returns once every replica runs and `workers delete` once every container is gone (stopped, then removed); the Docker pair is `docker run -d` {Replicas} times in parallel, then one `docker rm -f` of them. Milliseconds. Target: within 1.3× of the Docker pair at the median.",
                string.Empty,
                "| side | deploy (run) | delete (rm) | together: median | min–max | / Docker |",
                "|---|---:|---:|---:|---:|---:|",
            };
            if (floor is { } f)
            {
                lines.Add($"| `docker run -d` ×{Replicas}, `docker rm -f` | {CliReadBench.Ms(CliReadBench.Median([.. docker.Select(p => p.Run)]))} | {CliReadBench.Ms(CliReadBench.Median([.. docker.Select(p => p.Remove)]))} | {CliReadBench.Ms(f)} | {CliReadBench.Ms(docker.Min(p => p.Run + p.Remove))}–{CliReadBench.Ms(docker.Max(p => p.Run + p.Remove))} | 1.00 |");
            }

            foreach (var (name, _) in sides)
            {
                var values = workers[name];
                if (values.Count == 0)
                {
                    lines.Add($"| {name} | not measured (a deploy or delete failed: is Docker running?) | | | | |");
                    continue;
                }

                var together = CliReadBench.Median([.. values.Select(v => v.Deploy + v.Delete)]);
                var ratio = floor is { } docker0 ? (together / docker0).ToString("0.00", CultureInfo.InvariantCulture) : "—";
                lines.Add($"| {name} | {CliReadBench.Ms(CliReadBench.Median([.. values.Select(v => v.Deploy)]))} | {CliReadBench.Ms(CliReadBench.Median([.. values.Select(v => v.Delete)]))} | {CliReadBench.Ms(together)} | {CliReadBench.Ms(values.Min(v => v.Deploy + v.Delete))}–{CliReadBench.Ms(values.Max(v => v.Deploy + v.Delete))} | {ratio} |");
            }

            return lines;
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    /// <summary>Seconds for <c>docker run -d</c> ×10 in parallel, and for the one <c>docker rm -f</c> of them; null when one failed.</summary>
    private static (double Run, double Remove)? DockerPair()
    {
        var label = $"workers-bench.deploy={Guid.NewGuid():N}";
        var clock = Stopwatch.StartNew();
        var runs = Enumerable.Range(0, Replicas).Select(_ => Task.Run(() => Docker(["run", "-d", "--label", label, "-p", "127.0.0.1::8080", TestImages.Workload]))).ToArray();
        Task.WaitAll(runs);
        var run = clock.Elapsed.TotalSeconds;
        var ids = runs.Select(r => r.Result?.Trim()).ToList();
        if (ids.Any(id => string.IsNullOrEmpty(id)))
        {
            Docker(["rm", "-f", .. ids.Where(id => !string.IsNullOrEmpty(id)).Select(id => id!)]);
            return null;
        }

        clock.Restart();
        var removed = Docker(["rm", "-f", .. ids.Select(id => id!)]);
        return removed is null ? null : (run, clock.Elapsed.TotalSeconds);
    }

    /// <summary>The docker CLI's standard output, or null when it failed.</summary>
    private static string? Docker(string[] arguments)
    {
        var info = new ProcessStartInfo("docker", arguments) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEndAsync();
        process.StandardError.ReadToEnd();
        process.WaitForExit();
        return process.ExitCode == 0 ? output.Result : null;
    }
}
