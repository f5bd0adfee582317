using System.Collections.Concurrent;

namespace Workers.Functions.Handlers;

/// <summary>
/// Paces the stops sent for one orphan container: one when a heartbeat first shows it past its grace, then at most one
/// per <c>OrphanGrace</c> while heartbeats still show it. Every heartbeat used to send another stop, and an agent whose
/// queue was already behind (a loaded host) got one more per heartbeat for each orphan: hundreds of stops for containers
/// long gone, queued ahead of its start commands until those expired (fault seed 1731526202: 700–800 stops per agent,
/// about 100 starts refused as expired each). Kept in memory on purpose: forgetting it (a restart, another functions
/// instance) only sends one stop more, never one less, since a stop is idempotent and the next heartbeat that still
/// shows the container sends one once the pace allows.
/// </summary>
public sealed class OrphanStops
{
    private const int PruneAbove = 4096;
    private readonly ConcurrentDictionary<(string HostId, string ContainerId), DateTimeOffset> _sent = new();

    /// <summary>True when a stop for this container may go now (none went within <paramref name="pace"/>); records it.</summary>
    public bool TrySend(string hostId, string containerId, DateTimeOffset now, TimeSpan pace)
    {
        if (_sent.Count > PruneAbove)
        {
            foreach (var stale in _sent.Where(s => now - s.Value >= pace).Select(s => s.Key).ToList())
            {
                _sent.TryRemove(stale, out _);
            }
        }

        var key = (hostId, containerId);
        while (true)
        {
            if (!_sent.TryGetValue(key, out var last))
            {
                if (_sent.TryAdd(key, now))
                {
                    return true;
                }

                continue;
            }

            if (now - last < pace)
            {
                return false;
            }

            if (_sent.TryUpdate(key, now, last))
            {
                return true;
            }
        }
    }
}
