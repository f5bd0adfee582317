using Workers.Contracts.Messages;
using Workers.Contracts.Spec;
using Workers.Functions.Store;

namespace Workers.Functions.Handlers;

/// <summary>The cluster as one plan pass sees it: read once, then each recorded placement added to it.</summary>
internal sealed record ClusterView(IReadOnlyList<HostRecord> Hosts, List<PortReservation> Reservations, List<ReplicaLimits> Limits)
{
    public static async Task<ClusterView> ReadAsync(IDeploymentStore store, CancellationToken cancellationToken) => new(
        await store.GetHostsAsync(cancellationToken),
        [.. await store.GetReservationsAsync(cancellationToken)],
        [.. await store.GetActiveReplicaLimitsAsync(cancellationToken)]);

    /// <summary>The older replicas whose reservations the placements take over (a fixed host port on the same host).</summary>
    public List<PortReservation> Displaced(IEnumerable<ReplicaPlacement> placements, IReadOnlySet<Guid> older) =>
        [.. placements
            .SelectMany(p => p.Ports.Select(b => (p.HostId, b.HostPort, b.Protocol)))
            .Join(Reservations.Where(r => older.Contains(r.DeploymentId)), k => k, r => (r.HostId, r.HostPort, r.Protocol), (_, r) => r)
            .DistinctBy(r => (r.DeploymentId, r.Index))];

    public void Record(Guid deploymentId, DeploymentSpec spec, long revision, IReadOnlyList<ReplicaPlacement> placements, IReadOnlyCollection<PortReservation> displaced)
    {
        // A displaced replica gives up its port now; it keeps its CPU and memory until it has stopped.
        if (displaced.Count > 0)
        {
            Reservations.RemoveAll(r => displaced.Any(d => d.DeploymentId == r.DeploymentId && d.Index == r.Index));
        }

        var name = spec.Name.Value;
        foreach (var placement in placements)
        {
            Reservations.AddRange(placement.Ports.Select(p => new PortReservation(placement.HostId, p.HostPort, p.Protocol, deploymentId, name, placement.Index)));
            Limits.Add(new ReplicaLimits(placement.HostId, name, revision, placement.Index, spec.Resources.Cpu?.Millicores ?? 0, spec.Resources.Memory?.Bytes ?? 0));
        }
    }
}
