using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Workers.Contracts.Messages;
using Workers.Contracts.Spec;

namespace Workers.Cli.Commands;

/// <summary>How the cluster commands write what the functions answer: tables for people, JSON for scripts.</summary>
internal static class ClusterRenderer
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        Converters = { new JsonStringEnumConverter() },
    };

    /// <summary>
    /// One row per deployment with the addresses its running replicas answer at (host:port, to curl); with
    /// <paramref name="replicas"/> a line per replica under it; <paramref name="wide"/> lists every address, text at most three.
    /// </summary>
    public static async Task StatusAsync(TextWriter output, DeploymentStatusReply reply, bool replicas, bool wide = false)
    {
        await output.WriteLineAsync($"{"NAME",-24} {"REVISION",8}  {"STATE",-11} {"HEALTHY",7}  {"IMAGE",-32} ADDRESSES");
        foreach (var d in reply.Deployments)
        {
            await output.WriteLineAsync($"{d.Name,-24} {d.Revision,8}  {d.State,-11} {$"{d.Replicas.Count(r => r.State == ReplicaState.Running && r.Health == ReplicaHealth.Healthy)}/{d.Replicas.Count(r => r.State is ReplicaState.Pending or ReplicaState.Running)}",7}  {d.Image,-32} {Addresses(d, wide)}".TrimEnd());
            if (!replicas)
            {
                continue;
            }

            foreach (var r in d.Replicas)
            {
                var health = r.State == ReplicaState.Running && r.Health is { } h ? h.ToString().ToLowerInvariant() : "-";
                await output.WriteLineAsync($"  #{r.Index,-4} {r.HostId,-16} {r.State,-9} {health,-9} {Short(r.ContainerId),-12}  {r.Address ?? Ports(r.Ports)}{(r.Reason is null ? string.Empty : "  " + r.Reason)}".TrimEnd());
            }

            if (d.Progress is not null)
            {
                await output.WriteLineAsync($"  progress: {d.Progress}");
            }

            if (d.Reason is not null)
            {
                await output.WriteLineAsync($"  reason: {d.Reason}");
            }
        }
    }

    /// <summary>The running replicas' addresses, or <c>-</c>; text shows three and counts the rest.</summary>
    public static string Addresses(DeploymentStatus deployment, bool all)
    {
        var addresses = deployment.Replicas.Where(r => r.State == ReplicaState.Running && r.Address is not null).Select(r => r.Address!).ToList();
        return addresses.Count == 0 ? "-"
            : all || addresses.Count <= 3 ? string.Join(",", addresses)
            : $"{string.Join(",", addresses.Take(3))} (+{addresses.Count - 3})";
    }

    /// <summary>One row per host; the age of its last heartbeat beside it, as <c>nomad node status</c> shows; <paramref name="wide"/> adds the address its ports are published on.</summary>
    public static async Task HostsAsync(TextWriter output, HostsReply reply, bool wide = false)
    {
        await output.WriteLineAsync($"{"HOST",-20} {"LIVE",-5} {"CPU FREE",-14} {"MEMORY FREE",-18} {"REPLICAS",8}  {"LAST SEEN",-20} {"AGE",-6} {(wide ? $"{"ADDRESS",-15} " : string.Empty)}LABELS");
        foreach (var h in reply.Hosts)
        {
            var labels = string.Join(",", h.Labels.Select(l => $"{l.Key}={l.Value}"));
            await output.WriteLineAsync(
                $"{h.HostId,-20} {(h.Live ? "yes" : "no"),-5} {$"{h.CpuFreeMillicores}m/{h.CpuCapacityMillicores}m",-14} {$"{h.MemoryFreeBytes >> 20}Mi/{h.MemoryCapacityBytes >> 20}Mi",-18} {h.Replicas,8}  {h.LastSeen.ToString("u", CultureInfo.InvariantCulture),-20} {Age(reply.Timestamp - h.LastSeen),-6} {(wide ? $"{h.BindAddress,-15} " : string.Empty)}{labels}".TrimEnd());
        }
    }

    /// <summary>An age as kubectl writes one: 45s, 12m, 3h, 2d.</summary>
    public static string Age(TimeSpan age) => age switch
    {
        { TotalSeconds: < 0 } => "0s",
        { TotalMinutes: < 2 } => $"{(int)age.TotalSeconds}s",
        { TotalHours: < 2 } => $"{(int)age.TotalMinutes}m",
        { TotalDays: < 2 } => $"{(int)age.TotalHours}h",
        _ => $"{(int)age.TotalDays}d",
    };

    public static async Task HistoryAsync(TextWriter output, History reply)
    {
        await output.WriteLineAsync($"{"REVISION",8}  {"STATE",-11} {"UPDATED",-20} {"IMAGE",-40} REASON");
        foreach (var r in reply.Revisions)
        {
            var mark = r.Current ? "*" : " ";
            await output.WriteLineAsync($"{r.Revision,7}{mark}  {r.State,-11} {r.UpdatedAt.ToString("u", CultureInfo.InvariantCulture),-20} {r.Image,-40} {r.Reason}".TrimEnd());
        }
    }

    public static async Task PlanAsync(TextWriter output, PlanReply reply)
    {
        if (reply.Reason is null)
        {
            foreach (var placement in reply.Placements)
            {
                await output.WriteLineAsync($"replica {placement.Index} -> {placement.HostId} {Ports(placement.Ports)}".TrimEnd());
            }

            return;
        }

        await PrintProblemsAsync(output, reply.Problems);
        await output.WriteLineAsync(reply.Reason);
    }

    public static Task PrintProblemsAsync(CliConsole console, IReadOnlyList<SpecProblem> problems) => PrintProblemsAsync(console.Out, problems);

    public static async Task PrintProblemsAsync(TextWriter output, IReadOnlyList<SpecProblem> problems)
    {
        foreach (var problem in problems)
        {
            await output.WriteLineAsync(problem.ToString());
        }
    }

    public static string Describe(ReplicaStatus replica) =>
        $"{replica.State.ToString().ToLowerInvariant()}{(replica.Health is { } health && replica.State == ReplicaState.Running ? $" ({health.ToString().ToLowerInvariant()})" : string.Empty)} {Short(replica.ContainerId)} {replica.Address ?? Ports(replica.Ports)}{(replica.Reason is null ? string.Empty : " " + replica.Reason)}".TrimEnd();

    public static string Ports(IReadOnlyList<PortBinding> ports) =>
        string.Join(" ", ports.Select(p => $"{p.HostPort}->{p.ContainerPort}/{p.Protocol.ToString().ToLowerInvariant()}"));

    public static string Short(string? containerId) => containerId is null ? "-" : ContainerIds.Short(containerId);
}
