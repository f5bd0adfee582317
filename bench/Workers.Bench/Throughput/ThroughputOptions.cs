using System.Globalization;

namespace Workers.Bench.Throughput;

/// <summary>
/// The load of the throughput figure: <c>--hosts 1000 --deployments 1000 --replicas 10</c> by default (the
/// requirement), smaller for quick runs.
/// </summary>
/// <param name="Hosts">Simulated hosts, each with its own <c>host.&lt;id&gt;</c> queue and heartbeat.</param>
/// <param name="Deployments">Deployments requested at once, each under its own name.</param>
/// <param name="Replicas">Replicas per deployment.</param>
/// <param name="Runs">Rounds; each runs Workers and then the raw broker on the same load.</param>
/// <param name="HeartbeatInterval">
/// How often each simulated host reports (the agent's default, 5 s); the functions' host timeout is kept at six of them
/// at least, as the defaults are.
/// </param>
/// <param name="Ports">Container ports per replica, each with a dynamic host port (0 for none).</param>
/// <param name="Profile">Whether an extra, traced Workers round follows the timed ones.</param>
/// <param name="RawThroughExchanges">
/// <c>--raw-through-exchanges</c>: the raw side routes as MassTransit does (a publish through a message-type exchange
/// bound to the queue's own exchange, a send through the queue's exchange) instead of straight to the queue.
/// </param>
internal sealed record ThroughputOptions(int Hosts, int Deployments, int Replicas, int Runs, TimeSpan HeartbeatInterval, int Ports, bool Profile, bool RawThroughExchanges = false)
{
    /// <summary>This figure's rounds are capped: each full-size round takes minutes on two cores.</summary>
    public const int MaxRuns = 3;

    public int TotalReplicas => Deployments * Replicas;

    /// <summary>Deployments in the untimed warm-up round before the timed ones.</summary>
    public int WarmUpDeployments => Math.Min(Deployments, 200);

    /// <summary>The options <see cref="Parse"/> reads (and <c>--runs</c>, which the caller reads).</summary>
    private static readonly string[] Known = ["--runs", "--hosts", "--deployments", "--replicas", "--heartbeat-seconds", "--ports", "--no-profile", "--raw-through-exchanges"];

    public static ThroughputOptions Parse(IReadOnlyList<string> args, int runs)
    {
        ArgumentNullException.ThrowIfNull(args);
        if (args.FirstOrDefault(a => a.StartsWith("--", StringComparison.Ordinal) && !Known.Contains(a)) is { } unknown)
        {
            // A misspelt option would otherwise measure something other than what was asked for, silently.
            throw new UsageException($"throughput: unknown option {unknown}; the options are {string.Join(", ", Known)}");
        }

        int Number(string name, int fallback, int min)
        {
            var at = args.ToList().IndexOf(name);
            if (at < 0)
            {
                return fallback;
            }

            var value = at + 1 < args.Count && int.TryParse(args[at + 1], NumberStyles.None, CultureInfo.InvariantCulture, out var parsed) ? parsed : -1;
            return value >= min ? value : throw new UsageException($"{name} takes a whole number of at least {min}");
        }

        var options = new ThroughputOptions(
            Number("--hosts", 1000, 1),
            Number("--deployments", 1000, 1),
            Number("--replicas", 10, 1),
            Math.Min(runs, MaxRuns),
            TimeSpan.FromSeconds(Number("--heartbeat-seconds", 5, 1)),
            Number("--ports", 1, 0),
            !args.Contains("--no-profile"),
            args.Contains("--raw-through-exchanges"));
        return options.Replicas > 10_000 ? throw new UsageException("--replicas is at most 10000 (the spec's maximum)") : options;
    }

    /// <summary>
    /// A small deployment named <paramref name="name"/>: the workload image, one dynamic host port per container port, and
    /// <c>update.minReady: 0s</c>, so that a replica without a check is healthy as soon as it runs (the agent then reports
    /// it healthy right after it started) rather than after the default 5 s, which no broker round trip would show.
    /// </summary>
    public string SpecText(string name)
    {
        var ports = string.Concat(Enumerable.Range(0, Ports).Select(p => $"  - container: {8080 + p}\n"));
        return $"name: {name}\nimage: {BenchInfrastructure.WorkloadImage}\nreplicas: {Replicas}\n"
            + (ports.Length > 0 ? $"ports:\n{ports}" : string.Empty)
            + "resources: { cpu: 10m, memory: 16Mi }\n"
            + "update: { minReady: 0s }\n";
    }

    public string Describe() =>
        $"{Hosts:N0} simulated hosts, {Deployments:N0} deployments of {Replicas} replicas ({TotalReplicas:N0} replicas), "
        + $"{(Ports == 0 ? "no ports" : $"{Ports} container port(s) with a dynamic host port")}, heartbeats every {HeartbeatInterval.TotalSeconds:N0} s; "
        + $"an untimed warm-up round of {WarmUpDeployments:N0} deployments first";
}
