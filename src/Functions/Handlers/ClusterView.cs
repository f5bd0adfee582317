using Workers.Contracts.Messages;
using Workers.Contracts.Spec;
using Workers.Functions.Planning;
using Workers.Functions.Store;

namespace Workers.Functions.Handlers;

/// <summary>
/// The cluster as one plan pass sees it: read once, then each recorded placement added to it. The hosts as planning
/// candidates are kept too, and only the hosts a recorded plan touched are worked out again, so a pass of many plans
/// over a large cluster costs one full reading, not one per plan.
/// </summary>
internal sealed class ClusterView
{
    private readonly Dictionary<string, List<PortReservation>> _held;
    private readonly Dictionary<string, List<ReplicaLimits>> _planned;
    private readonly Dictionary<string, int> _positions = new(StringComparer.Ordinal);
    private readonly HashSet<string> _touched = new(StringComparer.Ordinal);
    private (DateTimeOffset Now, TimeSpan Timeout)? _judged;
    private HostLiveness? _liveness;
    private HostCandidate[]? _candidates;
    private (HostRecord Host, HostId Id)[] _hosts = [];

    public ClusterView(IReadOnlyList<HostRecord> hosts, List<PortReservation> reservations, List<ReplicaLimits> limits)
    {
        Hosts = hosts;
        Reservations = reservations;
        Limits = limits;
        _held = reservations.GroupBy(r => r.HostId, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.ToList(), StringComparer.Ordinal);
        _planned = limits.GroupBy(r => r.HostId, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.ToList(), StringComparer.Ordinal);
    }

    public IReadOnlyList<HostRecord> Hosts { get; }

    public List<PortReservation> Reservations { get; }

    public List<ReplicaLimits> Limits { get; }

    public static async Task<ClusterView> ReadAsync(IDeploymentStore store, CancellationToken cancellationToken) => new(
        await store.GetHostsAsync(cancellationToken),
        [.. await store.GetReservationsAsync(cancellationToken)],
        [.. await store.GetActiveReplicaLimitsAsync(cancellationToken)]);

    /// <summary>
    /// Every host with a valid id as a candidate: its heartbeat, less the ports reserved and the limits planned onto it
    /// (<see cref="Inventory.Candidate"/>). With <paramref name="replaceable"/> the ports it names count as free, and
    /// the candidates are made afresh; without, the ones made for an earlier plan of the pass are reused for every host
    /// no plan has touched since.
    /// </summary>
    public IReadOnlyList<HostCandidate> Candidates(DateTimeOffset now, TimeSpan hostTimeout, Func<PortReservation, bool>? replaceable = null)
    {
        if (_judged != (now, hostTimeout))
        {
            _judged = (now, hostTimeout);
            _liveness = HostLiveness.Of(Hosts, now, hostTimeout);
            var hosts = new List<(HostRecord, HostId)>(Hosts.Count);
            _positions.Clear();
            foreach (var host in Hosts)
            {
                if (HostId.TryParse(host.Heartbeat.HostId, out var id, out _))
                {
                    _positions[id.Value] = hosts.Count;
                    hosts.Add((host, id));
                }
            }

            _hosts = [.. hosts];
            _candidates = null;
        }

        if (replaceable is not null)
        {
            return [.. _hosts.Select(h => CandidateOf(h.Host, h.Id, replaceable))];
        }

        if (_candidates is null)
        {
            _candidates = [.. _hosts.Select(h => CandidateOf(h.Host, h.Id, replaceable: null))];
        }
        else
        {
            foreach (var hostId in _touched)
            {
                if (_positions.TryGetValue(hostId, out var position))
                {
                    var (host, id) = _hosts[position];
                    _candidates[position] = CandidateOf(host, id, replaceable: null);
                }
            }
        }

        _touched.Clear();
        return [.. _candidates];
    }

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
            bool Gone(PortReservation r) => displaced.Any(d => d.DeploymentId == r.DeploymentId && d.Index == r.Index);
            Reservations.RemoveAll(Gone);
            foreach (var hostId in displaced.Select(d => d.HostId).Distinct(StringComparer.Ordinal))
            {
                if (_held.TryGetValue(hostId, out var held))
                {
                    held.RemoveAll(Gone);
                }

                _touched.Add(hostId);
            }
        }

        var name = spec.Name.Value;
        foreach (var placement in placements)
        {
            var reservations = placement.Ports.Select(p => new PortReservation(placement.HostId, p.HostPort, p.Protocol, deploymentId, name, placement.Index)).ToList();
            var limits = new ReplicaLimits(placement.HostId, name, revision, placement.Index, spec.Resources.Cpu?.Millicores ?? 0, spec.Resources.Memory?.Bytes ?? 0);
            Reservations.AddRange(reservations);
            Limits.Add(limits);
            Own(_held, placement.HostId).AddRange(reservations);
            Own(_planned, placement.HostId).Add(limits);
            _touched.Add(placement.HostId);
        }
    }

    private HostCandidate CandidateOf(HostRecord host, HostId id, Func<PortReservation, bool>? replaceable) =>
        Inventory.Candidate(
            host,
            id,
            _liveness!.IsAlive(host),
            _held.TryGetValue(id.Value, out var held) ? held : [],
            _planned.TryGetValue(id.Value, out var planned) ? planned : [],
            replaceable);

    private static List<T> Own<T>(Dictionary<string, List<T>> byHost, string hostId)
    {
        if (!byHost.TryGetValue(hostId, out var list))
        {
            byHost[hostId] = list = [];
        }

        return list;
    }
}
