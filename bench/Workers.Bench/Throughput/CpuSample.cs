using System.Diagnostics;
using System.Globalization;

namespace Workers.Bench.Throughput;

/// <summary>
/// CPU seconds used so far by this process (the functions, the simulated hosts and the harness), each container
/// (from its cgroup), and the whole machine (busy and total), so that a round can say who took the two cores.
/// </summary>
internal sealed record CpuSample(double Harness, IReadOnlyDictionary<string, double> Containers, double MachineBusy, double MachineTotal)
{
    private const double TicksPerSecond = 100;

    public static CpuSample Take(IReadOnlyDictionary<string, string> containerIds)
    {
        using var self = Process.GetCurrentProcess();
        var containers = containerIds.ToDictionary(c => c.Key, c => ContainerSeconds(c.Value), StringComparer.Ordinal);
        var (busy, total) = Machine();
        return new CpuSample(self.TotalProcessorTime.TotalSeconds, containers, busy, total);
    }

    public CpuSample Since(CpuSample before) => new(
        Harness - before.Harness,
        Containers.ToDictionary(c => c.Key, c => c.Value - before.Containers.GetValueOrDefault(c.Key), StringComparer.Ordinal),
        MachineBusy - before.MachineBusy,
        MachineTotal - before.MachineTotal);

    /// <summary>Busy CPU time not accounted for by this process or the containers: other work on the machine.</summary>
    public double Other => Math.Max(0, MachineBusy - Harness - Containers.Values.Sum());

    private static double ContainerSeconds(string id)
    {
        // cgroup v1 (cgroupfs driver) counts nanoseconds; v2 (systemd driver) counts microseconds in cpu.stat.
        var v1 = $"/sys/fs/cgroup/cpuacct/docker/{id}/cpuacct.usage";
        if (File.Exists(v1))
        {
            return long.Parse(File.ReadAllText(v1).Trim(), CultureInfo.InvariantCulture) / 1e9;
        }

        foreach (var v2 in new[] { $"/sys/fs/cgroup/system.slice/docker-{id}.scope/cpu.stat", $"/sys/fs/cgroup/docker/{id}/cpu.stat" })
        {
            if (File.Exists(v2))
            {
                var line = File.ReadLines(v2).FirstOrDefault(l => l.StartsWith("usage_usec ", StringComparison.Ordinal));
                return line is null ? double.NaN : long.Parse(line["usage_usec ".Length..], CultureInfo.InvariantCulture) / 1e6;
            }
        }

        return double.NaN;
    }

    private static (double Busy, double Total) Machine()
    {
        var fields = File.ReadLines("/proc/stat").First().Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1)
            .Select(f => long.Parse(f, CultureInfo.InvariantCulture)).ToArray();
        // user nice system idle iowait irq softirq steal (guest time is already in user).
        var total = fields.Take(8).Sum();
        var idle = fields[3] + fields[4];
        return ((total - idle) / TicksPerSecond, total / TicksPerSecond);
    }
}
