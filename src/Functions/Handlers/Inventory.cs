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
        (await ClusterView.ReadAsync(store, cancellationToken)).Candidates(now, hostTimeout, replaceable);

    /// <summary>
    /// One host as a candidate: its heartbeat, less the ports reserved and the limits of replicas planned onto it
    /// that its heartbeat does not show yet.
    /// </summary>
    public static HostCandidate Candidate(
        HostRecord host,
        HostId id,
        bool live,
        IEnumerable<PortReservation> held,
        IEnumerable<ReplicaLimits> planned,
        Func<PortReservation, bool>? replaceable)
    {
        var heartbeat = host.Heartbeat;
        var taken = new HashSet<(int Port, Protocol Protocol)>(heartbeat.PortsInUse.Count);
        foreach (var port in heartbeat.PortsInUse)
        {
            taken.Add((port.Port, port.Protocol));
        }

        HashSet<(int Port, Protocol Protocol)>? freed = null;
        foreach (var reservation in held)
        {
            if (replaceable?.Invoke(reservation) == true)
            {
                (freed ??= []).Add((reservation.HostPort, reservation.Protocol));
            }
            else
            {
                taken.Add((reservation.HostPort, reservation.Protocol));
            }
        }

        if (freed is not null)
        {
            taken.ExceptWith(freed);
        }

        // The heartbeat's free CPU and memory already count the containers it saw; replicas planned since are not
        // in it yet, so their limits come off here, or two plans between heartbeats could overcommit the host.
        var seen = new HashSet<(string Name, long Revision, int Index)>(heartbeat.Replicas.Count);
        foreach (var replica in heartbeat.Replicas)
        {
            seen.Add((replica.Name, replica.Revision, replica.Index));
        }

        var (unseen, cpu, memory) = (0, 0L, 0L);
        foreach (var limit in planned)
        {
            if (!seen.Contains((limit.Name, limit.Revision, limit.Index)))
            {
                unseen++;
                cpu += limit.CpuMillicores;
                memory += limit.MemoryBytes;
            }
        }

        return new HostCandidate(
            id,
            heartbeat.Labels,
            live,
            heartbeat.CpuFreeMillicores - cpu,
            heartbeat.MemoryFreeBytes - memory,
            taken,
            heartbeat.Replicas.Count + unseen,
            heartbeat.Allows,
            heartbeat.Identity?.SealingKey);
    }
}
