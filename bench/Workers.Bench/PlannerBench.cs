using Workers.Contracts.Messages;
using Workers.Contracts.Spec;
using Workers.Functions.Planning;

namespace Workers.Bench;

/// <summary>
/// The shape of HashiCorp's C1M run: replicas placed onto 5,000 hosts with labels, a published port each and CPU and
/// memory limits, in deployments of 10,000 replicas (the spec's maximum), each under its own name, the hosts' state
/// (ports, CPU, memory and replica counts) carried from one plan to the next. The planner alone: no store read or write
/// is in it. Reports the planner calls' seconds, placements per second and bytes allocated for 10k, 100k and 1M
/// replicas, and beside them the whole loop's seconds, which include the bench's own stand-in for the store between
/// plans (grouping the placements, copying 5,000 host records per plan): about a third of the loop, and none of it
/// Workers' code.
/// </summary>
internal static class PlannerBench
{
    private const int Hosts = 5000;

    public static IEnumerable<string> Run(int runs)
    {
        yield return $"## Planner scale ({Hosts:N0} hosts, deployments of 10,000 replicas, 1 dynamic port, 100m CPU, 64Mi each, label zone)";
        yield return "| replicas | planner seconds (median, min–max) | placements/s | planner allocated MiB | bytes per placement | s per 100k (n log n check) | whole loop seconds (median) |";
        yield return "|---:|---:|---:|---:|---:|---:|---:|";
        foreach (var total in new[] { 10_000, 100_000, 1_000_000 })
        {
            var count = total >= 1_000_000 ? Math.Min(runs, 3) : runs;
            var timed = Enumerable.Range(0, count).Select(_ =>
            {
                var planner = new PlannerTime();
                var whole = Measure.Seconds(() => PlaceAll(total, planner));
                return (Planner: planner, Whole: whole);
            }).OrderBy(t => t.Planner.Seconds).ToList();
            var (median, min, max) = (timed[timed.Count / 2].Planner, timed[0].Planner.Seconds, timed[^1].Planner.Seconds);
            var wholeMedian = timed.Select(t => t.Whole).Order().ElementAt(timed.Count / 2);
            yield return $"| {total:N0} | {Measure.Format(median.Seconds)} ({Measure.Format(min)}–{Measure.Format(max)}) | {total / median.Seconds:N0} | {median.Bytes / (1024.0 * 1024):N0} | {median.Bytes / total:N0} | {Measure.Format(median.Seconds / (total / 100_000.0))} | {Measure.Format(wholeMedian)} |";
        }
    }

    /// <summary>The time and bytes of the planner calls alone, summed over one loop.</summary>
    private sealed class PlannerTime
    {
        public double Seconds { get; private set; }

        public long Bytes { get; private set; }

        public PlacementResult Plan(DeploymentSpec spec, IReadOnlyList<HostCandidate> hosts)
        {
            var bytes = GC.GetAllocatedBytesForCurrentThread();
            var started = System.Diagnostics.Stopwatch.GetTimestamp();
            var plan = Planner.Plan(spec, hosts);
            Seconds += System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalSeconds;
            Bytes += GC.GetAllocatedBytesForCurrentThread() - bytes;
            return plan;
        }
    }

    private static void PlaceAll(int total, PlannerTime planner)
    {
        // One deployment name per plan, as a cluster runs many: each name draws its own host order and dynamic-port
        // starting point (one name for all would pile every plan's ports onto one run per host and rescan it).
        var specs = Enumerable.Range(0, (total + 9_999) / 10_000)
            .Select(n => SpecParser.Parse(
                $"name: c1m-{n:000}\nimage: workers-test/httpd:1\nreplicas: 10000\nports:\n  - container: 8080\nresources: {{ cpu: 100m, memory: 64Mi }}\nplacement:\n  labels: {{ zone: eu-1 }}\n",
                "c1m.yaml").Spec!)
            .ToList();
        var labels = new Dictionary<string, string> { ["zone"] = "eu-1" };
        var hosts = Enumerable.Range(0, Hosts)
            .Select(i => new HostCandidate(HostId.From($"host-{i}"), labels, true, 64_000, 256L << 30, new HashSet<(int, Protocol)>()))
            .ToList();
        foreach (var spec in specs)
        {
            var plan = planner.Plan(spec, hosts);
            if (!plan.Succeeded)
            {
                throw new InvalidOperationException(plan.Reason);
            }

            hosts = Carry(hosts, plan.Placements, spec);
        }
    }

    /// <summary>What the store would do between plans: reserve the placed replicas' ports and resources.</summary>
    private static List<HostCandidate> Carry(List<HostCandidate> hosts, IReadOnlyList<ReplicaPlacement> placements, DeploymentSpec spec)
    {
        var byHost = placements.GroupBy(p => p.HostId).ToDictionary(g => g.Key, g => g.ToList());
        return [.. hosts.Select(h =>
        {
            if (!byHost.TryGetValue(h.Id.Value, out var placed))
            {
                return h;
            }

            // The bench owns these sets; adding in place stands in for the store's reservations table.
            ((HashSet<(int, Protocol)>)h.PortsTaken).UnionWith(placed.SelectMany(p => p.Ports.Select(b => (b.HostPort, b.Protocol))));
            return h with
            {
                CpuFreeMillicores = h.CpuFreeMillicores - placed.Count * spec.Resources.Cpu!.Millicores,
                MemoryFreeBytes = h.MemoryFreeBytes - placed.Count * spec.Resources.Memory!.Bytes,
                Replicas = h.Replicas + placed.Count,
            };
        })];
    }
}
