using Workers.Contracts.Spec;
using Workers.Functions.Planning;
using Workers.Functions.Store;

namespace Workers.Functions.Handlers;

/// <summary>Turns stored heartbeats and reservations into the planner's view of the hosts.</summary>
internal static class Inventory
{
    /// <summary>
    /// Which reservations a new revision may take over: only an older revision's, and only on the fixed host ports the
    /// new spec binds. Dynamic ports are not taken over, so the new replicas start beside the old ones (surge) and the
    /// old ones stop once the new revision runs.
    /// </summary>
    public static Func<PortReservation, bool> Replaceable(DeploymentSpec spec, IReadOnlySet<Guid> olderRevisions)
    {
        var fixedPorts = spec.Ports.Where(p => p.Host is not null).Select(p => (p.Host!.Value, p.Protocol)).ToHashSet();
        return r => olderRevisions.Contains(r.DeploymentId) && fixedPorts.Contains((r.HostPort, r.Protocol));
    }

    /// <summary>
    /// Every stored host as a candidate. Ports held by <paramref name="replaceable"/> (an older revision of the same
    /// deployment, which the new one replaces) count as free: those replicas are stopped before the new ones start.
    /// </summary>
    public static async Task<IReadOnlyList<HostCandidate>> CandidatesAsync(
        IDeploymentStore store,
        DateTimeOffset now,
        TimeSpan hostTimeout,
        Func<PortReservation, bool> replaceable,
        CancellationToken cancellationToken) =>
        CandidatesFrom(await store.GetHostsAsync(cancellationToken), await store.GetReservationsAsync(cancellationToken), await store.GetActiveReplicaLimitsAsync(cancellationToken), now, hostTimeout, replaceable);

    /// <summary>The same, from reads the caller already made.</summary>
    public static IReadOnlyList<HostCandidate> CandidatesFrom(
        IReadOnlyList<HostRecord> hosts,
        IReadOnlyList<PortReservation> reservations,
        IReadOnlyList<ReplicaLimits> limits,
        DateTimeOffset now,
        TimeSpan hostTimeout,
        Func<PortReservation, bool> replaceable)
    {
        var held = reservations.ToLookup(r => r.HostId);
        var planned = limits.ToLookup(r => r.HostId);
        var liveness = HostLiveness.Of(hosts, now, hostTimeout);
        var candidates = new List<HostCandidate>(hosts.Count);
        foreach (var host in hosts)
        {
            if (!HostId.TryParse(host.Heartbeat.HostId, out var id, out _))
            {
                continue;
            }

            var freed = held[id.Value].Where(replaceable).Select(r => (r.HostPort, r.Protocol)).ToHashSet();
            var taken = host.Heartbeat.PortsInUse.Select(p => (p.Port, p.Protocol))
                .Concat(held[id.Value].Select(r => (r.HostPort, r.Protocol)))
                .Where(p => !freed.Contains(p))
                .ToHashSet();
            // The heartbeat's free CPU and memory already count the containers it saw; replicas planned since are not
            // in it yet, so their limits come off here, or two plans between heartbeats could overcommit the host.
            var seen = host.Heartbeat.Replicas.Select(r => (r.Name, r.Revision, r.Index)).ToHashSet();
            var unseen = planned[id.Value].Where(r => !seen.Contains((r.Name, r.Revision, r.Index))).ToList();
            candidates.Add(new HostCandidate(
                id,
                host.Heartbeat.Labels,
                liveness.IsAlive(host),
                host.Heartbeat.CpuFreeMillicores - unseen.Sum(r => r.CpuMillicores),
                host.Heartbeat.MemoryFreeBytes - unseen.Sum(r => r.MemoryBytes),
                taken,
                host.Heartbeat.Replicas.Count + unseen.Count,
                host.Heartbeat.Allows,
                host.Heartbeat.Identity?.SealingKey));
        }

        return candidates;
    }
}
