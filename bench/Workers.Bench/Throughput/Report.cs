using System.Globalization;
using System.Text.RegularExpressions;

namespace Workers.Bench.Throughput;

/// <summary>The throughput figure and its profile as markdown.</summary>
internal static class Report
{
    public static IReadOnlyList<string> Lines(ThroughputOptions options, int[] levels, IReadOnlyList<ThroughputBench.Round> rounds, WorkersResult? traced, ActivityProfile? profile, double hostsStartSeconds)
    {
        var lines = new List<string>
        {
            $"## Control-plane throughput ({options.Hosts:N0} simulated hosts, {options.Deployments:N0} deployments × {options.Replicas} replicas, RabbitMQ + PostgreSQL)",
            $"- load: {options.Describe()}; spec `{options.SpecText("tp-<round>-<n>").Replace("\n", "; ", StringComparison.Ordinal).TrimEnd(' ', ';')}`",
            "- Workers: the functions in this process, registered as Functions.Host registers them (handlers, PostgreSQL store, a "
            + "MassTransit consumer per function queue, sweep), a fresh database per round; simulated hosts on the shipped agent's "
            + "wire code (RabbitMQ.Client: the agent's envelope codec and topology, and its publisher, one channel per host with "
            + $"one confirmed publish at a time), one `host.<id>` quorum queue each declared as the agent declares its own and read one command at a time, answering every StartReplicas at once, each replica started and then healthy (their {options.Hosts:N0} queues read after {hostsStartSeconds:N0} s); "
            + "timed from the first DeploymentRequested published to the last DeploymentSucceeded observed",
            "- both sides: durable quorum queues, persistent messages, publisher confirms, acknowledgements after the handler; "
            + "PostgreSQL with fsync, synchronous_commit and full_page_writes on",
        };

        var shape = rounds[0].Workers;
        var commands = (double)shape.StartCommands / options.Deployments;
        var heartbeats = Median(rounds.Select(r => (double)r.Workers.HeartbeatsInWindow));
        lines.Add($"- messages per deployment: 1 DeploymentRequested + 1 DeploymentAccepted + {commands:0.##} StartReplicas + {options.Replicas} ReplicaStarted + {options.Replicas} ReplicaHealthChanged + 1 DeploymentSucceeded = {3 + commands + (2 * options.Replicas):0.##} "
            + $"(the plans sent them to {shape.HostsUsed.Count:N0} of the {options.Hosts:N0} hosts); besides, {options.Hosts / options.HeartbeatInterval.TotalSeconds:N0} HostHeartbeats/s ({heartbeats:N0} in Workers' timed window, median). "
            + "The raw run repeats exactly these, in the same stages, to the same number of host queues, with heartbeats at the same rate and bodies of the same size");
        lines.Add(string.Empty);

        lines.Add("| side | replicas/s (median, min–max) | messages/s (median, min–max) | seconds (median, min–max) |");
        lines.Add("|---|---:|---:|---:|");
        lines.Add(Row("Workers", rounds.Select(r => Rate(r.Workers, options)), rounds.Select(r => r.Workers.Messages(options.Deployments, options.Replicas) / r.Workers.Seconds), rounds.Select(r => r.Workers.Seconds)));
        for (var i = 0; i < levels.Length; i++)
        {
            var index = i;
            var label = $"raw broker (RabbitMQ.Client{(options.RawThroughExchanges ? ", routed through exchanges as MassTransit routes" : string.Empty)}), {levels[i]} in flight per stage{(i == 0 ? " (the prefetch MassTransit gives each function endpoint)" : string.Empty)}";
            lines.Add(Row(label, rounds.Select(r => r.Raw[index].ReplicasPerSecond), rounds.Select(r => r.Raw[index].MessagesPerSecond), rounds.Select(r => r.Raw[index].Seconds)));
        }

        var ratios = rounds.Select(r => Rate(r.Workers, options) / r.Raw.Max(x => x.ReplicasPerSecond)).ToList();
        lines.Add($"| **Workers ÷ raw ceiling** (the faster raw row, per round) | {Ratio(ratios)} | | |");
        lines.Add(string.Empty);

        lines.Add("| round | Workers s | Workers replicas/s | " + string.Join(" | ", levels.Select(l => $"raw {l} replicas/s")) + " | Workers ÷ ceiling |");
        lines.Add("|---:|---:|---:|" + string.Concat(levels.Select(_ => "---:|")) + "---:|");
        foreach (var round in rounds)
        {
            lines.Add($"| {round.Workers.Round} | {Measure.Format(round.Workers.Seconds)} | {Rate(round.Workers, options):N0} | "
                + string.Join(" | ", round.Raw.Select(r => $"{r.ReplicasPerSecond:N0}{(r.Completed ? string.Empty : " (incomplete)")}"))
                + $" | {Rate(round.Workers, options) / round.Raw.Max(x => x.ReplicasPerSecond):0.00} |");
        }

        lines.Add(string.Empty);
        lines.AddRange(Problems(rounds.Select(r => r.Workers).Concat(traced is null ? [] : [traced]), options));
        lines.AddRange(Profile(options, rounds, traced, profile));
        return lines;
    }

    private static double Rate(WorkersResult result, ThroughputOptions options) => result.Replicas(options.Replicas) / result.Seconds;

    private static IEnumerable<string> Problems(IEnumerable<WorkersResult> results, ThroughputOptions options)
    {
        var any = false;
        foreach (var result in results)
        {
            var problems = new List<string>();
            if (!result.Completed)
            {
                problems.Add($"did not finish: {result.Succeeded + result.Failures.Count} of {options.Deployments} deployments ended before the deadline");
            }

            if (result.Failures.Count > 0)
            {
                problems.Add($"{result.Failures.Count} deployment(s) failed or were rejected: "
                    + string.Join("; ", result.Failures.Values.GroupBy(f => System.Text.RegularExpressions.Regex.Replace(f, "'tp-[0-9-]+'", "'<name>'")).OrderByDescending(g => g.Count()).Take(3).Select(g => $"{g.Count()}× {g.Key}")));
            }

            if (result.LeftInQueues.Count > 0)
            {
                problems.Add("messages moved to error queues: " + string.Join(", ", result.LeftInQueues.Select(e => $"{e.Key} {e.Value}")));
            }

            if (result.StopCommands > 0)
            {
                problems.Add($"{result.StopCommands} StopReplicas sent to the hosts (none was expected)");
            }

            if (problems.Count > 0)
            {
                any = true;
                yield return $"- **round {result.Round}**: {string.Join("; ", problems)}";
            }
        }

        if (!any)
        {
            yield return "- no deployment failed or was rejected, nothing reached an error queue, and no host was sent a stop in any round";
        }

        yield return string.Empty;
    }

    private static IEnumerable<string> Profile(ThroughputOptions options, IReadOnlyList<ThroughputBench.Round> rounds, WorkersResult? traced, ActivityProfile? profile)
    {
        yield return "### Where Workers' time goes";
        var median = rounds.OrderBy(r => r.Workers.Seconds).ElementAt(rounds.Count / 2).Workers;
        var window = median.Seconds;
        var cores = Environment.ProcessorCount;
        var thousands = median.Replicas(options.Replicas) / 1000.0;
        yield return $"CPU over Workers' timed window (round {median.Round}, the median: {Measure.Format(window)} s × {cores} cores = {Measure.Format(window * cores)} CPU-s):";
        yield return string.Empty;
        yield return "| process | CPU-s | share of the cores | CPU-ms per replica |";
        yield return "|---|---:|---:|---:|";
        var cpu = median.Cpu;
        var parts = new List<(string Name, double Seconds)> { ("this process (functions, simulated hosts, harness)", cpu.Harness) };
        parts.AddRange(cpu.Containers.Select(c => ($"{c.Key} container", c.Value)));
        parts.Add(("other work on the machine", cpu.Other));
        parts.Add(("idle", Math.Max(0, cpu.MachineTotal - cpu.MachineBusy)));
        foreach (var (name, seconds) in parts)
        {
            yield return $"| {name} | {Measure.Format(seconds)} | {seconds / cpu.MachineTotal:P0} | {seconds * 1000 / Math.Max(1, median.Replicas(options.Replicas)):0.00} |";
        }

        yield return string.Empty;
        yield return $"This process allocated {median.AllocatedBytes / (1024.0 * 1024) / Math.Max(0.001, thousands):N0} MiB per 1,000 replicas ({median.Gen2Collections} gen-2 collections, {median.GcPause.TotalMilliseconds:N0} ms paused). "
            + $"PostgreSQL counted {median.Database.Commits:N0} commits and {median.Database.Rollbacks:N0} rollbacks (unique-port conflicts between concurrent plans, retried), "
            + $"and returned {median.Database.RowsReturned / Math.Max(1.0, median.Replicas(options.Replicas)):N0} rows per replica (tup_returned {median.Database.RowsReturned:N0}, tup_fetched {median.Database.RowsFetched:N0})."
            + " Whole-table scans in the round's database, host registration included (pg_stat_user_tables): "
            + string.Join("; ", median.Tables.Where(t => t.SeqScans > 0).Take(6).Select(t => $"`{t.Table}` {t.SeqScans:N0} ({t.SeqRows:N0} rows, beside {t.IndexScans:N0} index scans)"))
            + ".";
        yield return string.Empty;

        if (profile is not null && traced is not null)
        {
            yield return $"Per consumer, from MassTransit's and Npgsql's traces (round {traced.Round}, traced: {Measure.Format(traced.Seconds)} s, {Rate(traced, options):N0} replicas/s). "
                + "A retried message is consumed again in the same process (MassTransit's retry), so attempts can outnumber messages. "
                + "Times are per attempt and overlap (each endpoint runs up to its prefetch at once); the simulated hosts and the outcome subscriber are the bench's own:";
            yield return string.Empty;
            yield return "| consumer ← message | attempts | failed attempts | ms per attempt (mean) | max ms | store ms | store round trips | publish/send ms | rest ms |";
            yield return "|---|---:|---:|---:|---:|---:|---:|---:|---:|";
            foreach (var (name, stat) in profile.Consumers.OrderByDescending(c => c.Value.Total))
            {
                var n = Math.Max(1, stat.Count);
                var rest = stat.Total - stat.Database - stat.OutgoingTime;
                yield return $"| {name} | {stat.Count:N0} | {stat.Failed:N0} | {Ms(stat.Total / n)} | {Ms(stat.Max)} | {Ms(stat.Database / n)} | {(double)stat.QueryCount / n:0.0} | {Ms(stat.OutgoingTime / n)} | {Ms(rest / n)} |";
            }

            yield return string.Empty;
            yield return "Store round trips by consumer and statement (client side, including the wait for a pooled connection's turn on the server), by total time:";
            yield return string.Empty;
            yield return "| consumer | statement | calls | per attempt | ms per call | total s | failed |";
            yield return "|---|---|---:|---:|---:|---:|---:|";
            foreach (var ((consumer, sql), stat) in profile.Queries.OrderByDescending(q => q.Value.Total).Take(15))
            {
                var messages = profile.Consumers.TryGetValue(consumer, out var c) ? Math.Max(1, c.Count) : 0;
                yield return $"| {consumer} | `{sql.Replace("|", "\\|", StringComparison.Ordinal)}` | {stat.Count:N0} | {(messages > 0 ? ((double)stat.Count / messages).ToString("0.0", CultureInfo.InvariantCulture) : "–")} | {Ms(stat.Total / Math.Max(1, stat.Count))} | {stat.Total.TotalSeconds:N1} | {stat.Failed:N0} |";
            }

            yield return string.Empty;
        }

        yield return $"Server side, from pg_stat_statements (round {median.Round}, untraced), by total execution time:";
        yield return string.Empty;
        yield return "| statement | calls | per deployment | ms per call | total s | rows per call |";
        yield return "|---|---:|---:|---:|---:|---:|";
        foreach (var statement in median.Statements.Take(12))
        {
            var text = string.Join(' ', statement.Query.Split((char[])['\n', '\r', ' ', '\t'], StringSplitOptions.RemoveEmptyEntries));
            // A long column list says least: it goes first, so that the table and the condition show.
            text = text.Length <= 110 ? text : Regex.Replace(text, "^SELECT (.+?) FROM ", "SELECT … FROM ", RegexOptions.None, TimeSpan.FromSeconds(1));
            text = text.Length <= 200 ? text : text[..197] + "...";
            yield return $"| `{text.Replace("|", "\\|", StringComparison.Ordinal)}` | {statement.Calls:N0} | {(double)statement.Calls / options.Deployments:0.0} | {statement.TotalMilliseconds / Math.Max(1, statement.Calls):0.000} | {statement.TotalMilliseconds / 1000:N1} | {(double)statement.Rows / Math.Max(1, statement.Calls):N1} |";
        }

        yield return string.Empty;
    }

    private static string Row(string label, IEnumerable<double> replicas, IEnumerable<double> messages, IEnumerable<double> seconds) =>
        $"| {label} | {Spread(replicas, "N0")} | {Spread(messages, "N0")} | {Spread(seconds, null)} |";

    private static string Spread(IEnumerable<double> values, string? format)
    {
        var sorted = values.Order().ToList();
        string F(double v) => format is null ? Measure.Format(v) : v.ToString(format, CultureInfo.InvariantCulture);
        return $"{F(sorted[sorted.Count / 2])} ({F(sorted[0])}–{F(sorted[^1])})";
    }

    private static string Ratio(IEnumerable<double> values)
    {
        var sorted = values.Order().ToList();
        return string.Create(CultureInfo.InvariantCulture, $"{sorted[sorted.Count / 2]:0.00} ({sorted[0]:0.00}–{sorted[^1]:0.00})");
    }

    private static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted[sorted.Count / 2];
    }

    private static string Ms(TimeSpan time) => time.TotalMilliseconds.ToString("0.00", CultureInfo.InvariantCulture);
}
