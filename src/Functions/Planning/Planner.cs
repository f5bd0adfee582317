using System.Diagnostics;
using System.Globalization;
using System.Text;
using Workers.Contracts.Messages;
using Workers.Contracts.Spec;

namespace Workers.Functions.Planning;

/// <summary>
/// Places replicas on hosts: only live hosts that carry the required labels and are allowed; never two replicas on
/// one host port of one host; never beyond a host's free CPU and memory; spread evenly (the host with the fewest of
/// this deployment's replicas goes first, then the one running the fewest replicas of any deployment, then an order
/// of the hosts drawn from the deployment's name, so that plans made side by side do not all reach for the same
/// host). Dynamic host ports are searched from a point drawn the same way, as Nomad picks them at random, so that two
/// plans made from the same view rarely pick the same port and retry on the store's conflict. Pure: it reads nothing and writes nothing, so a dry run is the same code.
/// </summary>
public static class Planner
{
    /// <summary>
    /// Host ports assigned where a spec leaves <c>host</c> out come from this range (Nomad's dynamic range) on a host
    /// whose agent advertises no range of its own.
    /// </summary>
    public const int DynamicPortMin = 20000;

    /// <summary>The top of the dynamic range.</summary>
    public const int DynamicPortMax = 32000;

    private const int MaxReasonsListed = 20;

    private static readonly HostPortRange DefaultDynamicPorts = new(DynamicPortMin, DynamicPortMax);

    /// <summary>Places every replica of <paramref name="spec"/> or explains why it cannot.</summary>
    /// <param name="spec">The spec.</param>
    /// <param name="hosts">Every known host.</param>
    public static PlacementResult Plan(DeploymentSpec spec, IReadOnlyList<HostCandidate> hosts)
    {
        ArgumentNullException.ThrowIfNull(spec);
        return Plan(spec, hosts, [.. Enumerable.Range(0, spec.Replicas)]);
    }

    /// <summary>Places the replicas with these indexes (replacements for lost ones), or explains why it cannot.</summary>
    /// <param name="spec">The spec.</param>
    /// <param name="hosts">The hosts that may take them.</param>
    /// <param name="indexes">The replica indexes to place.</param>
    public static PlacementResult Plan(DeploymentSpec spec, IReadOnlyList<HostCandidate> hosts, IReadOnlyList<int> indexes)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(indexes);
        ArgumentNullException.ThrowIfNull(hosts);
        var unsuitable = new SortedDictionary<string, string>(StringComparer.Ordinal);
        var queue = new PriorityQueue<HostState, (int Count, int Load, ulong Draw, string Id)>(hosts.Count);
        KeyValuePair<string, string>[] required = [.. spec.Placement.Labels];
        foreach (var host in hosts)
        {
            if (Exclusion(spec, required, host) is { } reason)
            {
                unsuitable[host.Id.Value] = reason;
                continue;
            }

            var draw = Draw(spec.Name.Value, host.Id.Value);
            queue.Enqueue(new HostState(host, draw), (0, host.Replicas, draw, host.Id.Value));
        }

        var ports = new SpecPorts(spec);
        var cpu = spec.Resources.Cpu?.Millicores ?? 0;
        var memory = spec.Resources.Memory?.Bytes ?? 0;
        var placements = new List<ReplicaPlacement>(indexes.Count);
        for (var position = 0; position < indexes.Count; position++)
        {
            var index = indexes[position];
            ReplicaPlacement? placement = null;
            while (placement is null && queue.TryDequeue(out var state, out var priority))
            {
                if (state.Refusal(spec, ports, cpu, memory) is { } refusal)
                {
                    // Resources only shrink as replicas land, so a host that cannot take this replica cannot take the next.
                    unsuitable[state.Host.Id.Value] = refusal;
                    continue;
                }

                placement = state.Take(spec, ports, index, cpu, memory);
                queue.Enqueue(state, (priority.Count + 1, priority.Load + 1, priority.Draw, priority.Id));
            }

            if (placement is null)
            {
                return new PlacementResult([], Explain(position, indexes.Count, hosts.Count, unsuitable));
            }

            placements.Add(placement);
        }

        return new PlacementResult(placements, null);
    }

    /// <summary>A number drawn from a deployment and a host: the same in every process and run (FNV-1a, 64 bits).</summary>
    private static ulong Draw(string deployment, string host)
    {
        var hash = 14695981039346656037UL;
        foreach (var c in deployment)
        {
            hash = (hash ^ c) * 1099511628211UL;
        }

        hash = (hash ^ '/') * 1099511628211UL;
        foreach (var c in host)
        {
            hash = (hash ^ c) * 1099511628211UL;
        }

        return hash;
    }

    /// <summary>
    /// Why <paramref name="host"/> may not take any replica of <paramref name="spec"/>, or null. Asked of every host in
    /// every plan, so the answer "nothing" allocates nothing; the words are made only for a host that is left out.
    /// </summary>
    private static string? Exclusion(DeploymentSpec spec, KeyValuePair<string, string>[] required, HostCandidate host)
    {
        if (!host.Live)
        {
            return "no recent heartbeat (host is down)";
        }

        if (spec.Placement.Hosts is { } allowed && !allowed.Contains(host.Id))
        {
            return "not in placement.hosts";
        }

        if (spec.SecretEnv.Count > 0 && host.SealingKey is null)
        {
            return "its agent sends no sealing key, so the spec's secrets cannot be sealed to it (an agent older than secrets)";
        }

        if (host.Allows is { } allows && !Allowed(spec, allows))
        {
            return Forbidden(spec, allows);
        }

        foreach (var label in required)
        {
            if (!host.Labels.TryGetValue(label.Key, out var value) || value != label.Value)
            {
                return MissingLabels(required, host.Labels);
            }
        }

        return null;
    }

    private static string MissingLabels(KeyValuePair<string, string>[] required, IReadOnlyDictionary<string, string> labels)
    {
        var missing = required
            .Where(label => !labels.TryGetValue(label.Key, out var value) || value != label.Value)
            .Select(label => labels.TryGetValue(label.Key, out var value) ? $"{label.Key}={label.Value} (has {value})" : $"{label.Key}={label.Value} (missing)");
        return "lacks label " + string.Join(", ", missing);
    }

    /// <summary>What the host's agent would refuse to run (<see cref="Allowed"/> said it would), in the words an operator can act on.</summary>
    private static string Forbidden(DeploymentSpec spec, HostAllowances allows)
    {
        var capabilities = spec.Capabilities.Select(c => c.Name).Where(c => !allows.Capabilities.Contains(c, StringComparer.Ordinal)).ToList();
        if (capabilities.Count > 0)
        {
            var allowed = allows.Capabilities.Count == 0 ? "none" : string.Join(", ", allows.Capabilities);
            return $"its agent does not allow capability {string.Join(", ", capabilities)} (it allows {allowed}; WORKERS_ALLOWED_CAPABILITIES)";
        }

        var ports = spec.Ports
            .Where(p => p.Host is { } host && !allows.HostPorts.Any(range => range.Contains(host.Value)))
            .Select(p => $"{p.Host}/{(p.Protocol == Protocol.Tcp ? "tcp" : "udp")}")
            .ToList();
        if (ports.Count > 0)
        {
            var allowed = allows.HostPorts.Count == 0 ? "none" : string.Join(", ", allows.HostPorts);
            return $"its agent does not allow host port {string.Join(", ", ports)} (it allows {allowed}; WORKERS_HOST_PORT_RANGE, WORKERS_HOST_PORTS_ALLOWED)";
        }

        var dynamic = allows.DynamicPorts;
        if (spec.Ports.Any(p => p.Host is null) && (dynamic.First < Port.Min || dynamic.Last > Port.Max || dynamic.First > dynamic.Last))
        {
            return $"its agent advertises no usable range of dynamic host ports ({dynamic})";
        }

        throw new UnreachableException("Allowed refused what Forbidden finds nothing wrong with");
    }

    /// <summary>Whether the host's agent runs what the spec asks for: loops over the lists, no query or closure per host (<see cref="Forbidden"/> has the words).</summary>
    private static bool Allowed(DeploymentSpec spec, HostAllowances allows)
    {
        for (var i = 0; i < spec.Capabilities.Count; i++)
        {
            if (!Contains(allows.Capabilities, spec.Capabilities[i].Name))
            {
                return false;
            }
        }

        var dynamic = false;
        for (var i = 0; i < spec.Ports.Count; i++)
        {
            if (spec.Ports[i].Host is not { } host)
            {
                dynamic = true;
            }
            else if (!InRanges(allows.HostPorts, host.Value))
            {
                return false;
            }
        }

        var range = allows.DynamicPorts;
        return !dynamic || (range.First >= Port.Min && range.Last <= Port.Max && range.First <= range.Last);

        static bool Contains(IReadOnlyList<string> names, string name)
        {
            for (var i = 0; i < names.Count; i++)
            {
                if (string.Equals(names[i], name, StringComparison.Ordinal))
                {
                    return true;
                }
            }

            return false;
        }

        static bool InRanges(IReadOnlyList<HostPortRange> ranges, int port)
        {
            for (var i = 0; i < ranges.Count; i++)
            {
                if (ranges[i].Contains(port))
                {
                    return true;
                }
            }

            return false;
        }
    }

    private static string Explain(int position, int count, int considered, SortedDictionary<string, string> unsuitable)
    {
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"cannot place replica {position + 1} of {count}: ");
        if (considered == 0)
        {
            return text.Append("no hosts are known; start a host agent (see 'workers hosts')").ToString();
        }

        text.Append(CultureInfo.InvariantCulture, $"{considered} host(s) considered, none can take it");
        foreach (var (host, reason) in unsuitable.Take(MaxReasonsListed))
        {
            text.Append(CultureInfo.InvariantCulture, $"; {host}: {reason}");
        }

        if (unsuitable.Count > MaxReasonsListed)
        {
            text.Append(CultureInfo.InvariantCulture, $"; and {unsuitable.Count - MaxReasonsListed} more");
        }

        return text.ToString();
    }

    /// <summary>The spec's ports, worked out once per plan rather than once per placement.</summary>
    private sealed class SpecPorts(DeploymentSpec spec)
    {
        public (int Port, Protocol Protocol)[] Fixed { get; } = [.. spec.Ports.Where(p => p.Host is not null).Select(p => (p.Host!.Value, p.Protocol))];

        public HashSet<(int Port, Protocol Protocol)> FixedSet { get; } = [.. spec.Ports.Where(p => p.Host is not null).Select(p => (p.Host!.Value, p.Protocol))];

        public (Protocol Protocol, int Count)[] DynamicWanted { get; } = [.. spec.Ports.Where(p => p.Host is null).GroupBy(p => p.Protocol).Select(g => (g.Key, g.Count()))];
    }

    private sealed class HostState
    {
        // The host's own set is read, never copied: a plan adds only the few ports it assigns (C1M has 5,000 hosts).
        private readonly IReadOnlySet<(int Port, Protocol Protocol)> _known;
        private readonly int _dynamicMin;
        private readonly int _dynamicRange;
        // Made when the host is given a replica: most hosts of a plan never are.
        private AssignedPorts? _assigned;
        private int _nextDynamic;
        private long _cpuFree;
        private long _memoryFree;

        public HostState(HostCandidate host, ulong draw)
        {
            Host = host;
            _known = host.PortsTaken;
            var dynamic = host.Allows?.DynamicPorts ?? DefaultDynamicPorts;
            (_dynamicMin, _dynamicRange) = (dynamic.First, Math.Max(0, dynamic.Last - dynamic.First + 1));
            _nextDynamic = _dynamicRange == 0 ? _dynamicMin : _dynamicMin + (int)(draw % (ulong)_dynamicRange);
            _cpuFree = host.CpuFreeMillicores;
            _memoryFree = host.MemoryFreeBytes;
        }
        public HostCandidate Host { get; }

        public string? Refusal(DeploymentSpec spec, SpecPorts ports, long cpu, long memory)
        {
            if (cpu > _cpuFree)
            {
                return $"not enough CPU (needs {CpuQuantity.FromMillicores(cpu)}, {Math.Max(0, _cpuFree)}m free)";
            }

            if (memory > _memoryFree)
            {
                return $"not enough memory (needs {spec.Resources.Memory}, {Math.Max(0, _memoryFree) / (1024 * 1024)}Mi free)";
            }

            if (Array.Exists(ports.Fixed, Taken))
            {
                var busy = ports.Fixed.Where(Taken).Select(p => $"{p.Port}/{(p.Protocol == Protocol.Tcp ? "tcp" : "udp")}");
                return $"host port {string.Join(", ", busy)} in use";
            }

            return HasDynamicPorts(ports) ? null : "no free host port left in the dynamic range";
        }

        public ReplicaPlacement Take(DeploymentSpec spec, SpecPorts ports, int index, long cpu, long memory)
        {
            _cpuFree -= cpu;
            _memoryFree -= memory;
            // The fixed ports first, so that a dynamic port listed before one of them cannot be given the same number.
            _assigned ??= new AssignedPorts();
            foreach (var port in ports.Fixed)
            {
                _assigned.Add(port);
            }

            var bindings = new PortBinding[spec.Ports.Count];
            for (var i = 0; i < bindings.Length; i++)
            {
                var port = spec.Ports[i];
                var hostPort = port.Host?.Value ?? NextDynamic(port.Protocol);
                _assigned.Add((hostPort, port.Protocol));
                bindings[i] = new PortBinding(port.Container.Value, hostPort, port.Protocol);
            }

            return new ReplicaPlacement(index, Host.Id.Value, bindings);
        }

        private bool Taken((int Port, Protocol Protocol) port) => _assigned?.Contains(port) == true || _known.Contains(port);

        private bool HasDynamicPorts(SpecPorts ports)
        {
            foreach (var (protocol, want) in ports.DynamicWanted)
            {
                // A port taken now stays taken for the rest of this plan (the host's own set does not change and the
                // plan only adds to its own), so the search point moves past the leading taken ones for good: asked
                // again for the next replica, the host does not walk the same run of taken ports once more.
                if (ports.DynamicWanted.Length == 1)
                {
                    for (var step = 0; step < _dynamicRange && Taken((_nextDynamic, protocol)); step++)
                    {
                        _nextDynamic = Wrap(_nextDynamic + 1);
                    }
                }

                var found = 0;
                for (var step = 0; step < _dynamicRange && found < want; step++)
                {
                    var port = Wrap(_nextDynamic + step);
                    found += Taken((port, protocol)) || ports.FixedSet.Contains((port, protocol)) ? 0 : 1;
                }

                if (found < want)
                {
                    return false;
                }
            }

            return true;
        }

        // Refusal has checked that enough ports are free, so the search ends within one turn of the range.
        private int NextDynamic(Protocol protocol)
        {
            while (Taken((_nextDynamic, protocol)))
            {
                _nextDynamic = Wrap(_nextDynamic + 1);
            }

            return _nextDynamic;
        }

        private int Wrap(int port) => port >= _dynamicMin + _dynamicRange ? port - _dynamicRange : port;
    }

    /// <summary>
    /// The host ports one plan assigned on one host. A plan spreads its replicas, so most hosts get one or two: those
    /// are kept in a small array (a set per host per plan was most of the planner's allocations at C1M scale), and a
    /// set takes over once a host has more than a few.
    /// </summary>
    private sealed class AssignedPorts
    {
        private const int Few = 8;
        private (int Port, Protocol Protocol)[]? _few;
        private int _count;
        private HashSet<(int Port, Protocol Protocol)>? _many;

        public bool Contains((int Port, Protocol Protocol) port)
        {
            if (_many is not null)
            {
                return _many.Contains(port);
            }

            for (var i = 0; i < _count; i++)
            {
                if (_few![i] == port)
                {
                    return true;
                }
            }

            return false;
        }

        public void Add((int Port, Protocol Protocol) port)
        {
            if (_many is not null)
            {
                _many.Add(port);
                return;
            }

            if (Contains(port))
            {
                return;
            }

            _few ??= new (int, Protocol)[2];
            if (_count < Few)
            {
                if (_count == _few.Length)
                {
                    Array.Resize(ref _few, _few.Length * 2);
                }

                _few[_count++] = port;
                return;
            }

            _many = [.. _few, port];
            _few = null;
            _count = 0;
        }
    }
}
