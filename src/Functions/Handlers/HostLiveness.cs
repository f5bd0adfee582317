using Workers.Functions.Store;

namespace Workers.Functions.Handlers;

/// <summary>
/// Which hosts are alive, judged so that a backlog on this side is not taken for silence on theirs.
/// </summary>
/// <remarks>
/// A host is alive when one of its heartbeats was processed within the host timeout, or — while heartbeats are being
/// processed at all — when its latest heartbeat was taken within the host timeout of the newest heartbeat processed
/// from any host. Heartbeats wait in one queue in the order they were sent: when the inventory falls behind (hundreds
/// of hosts beating at once), a live host's latest processed heartbeat can be older than the timeout by the wall
/// clock, but never much older than the newest one processed. A host that stopped beating falls behind the others by
/// the sender's own clock too. Each heartbeat's time is capped at its processing time, so a host whose clock runs
/// ahead cannot vouch for the rest; with no other host to compare against, only the wall-clock rule applies.
/// </remarks>
internal sealed class HostLiveness
{
    private readonly DateTimeOffset _now;
    private readonly TimeSpan _timeout;
    private readonly DateTimeOffset _progress;

    private HostLiveness(DateTimeOffset now, TimeSpan timeout, bool heard, DateTimeOffset progress)
    {
        _now = now;
        _timeout = timeout;
        Heard = heard;
        _progress = progress;
    }

    /// <summary>Whether any heartbeat at all was processed within the host timeout.</summary>
    public bool Heard { get; }

    public static HostLiveness Of(IReadOnlyCollection<HostRecord> hosts, DateTimeOffset now, TimeSpan timeout)
    {
        ArgumentNullException.ThrowIfNull(hosts);
        var heard = hosts.Count > 0 && now - hosts.Max(h => h.ReceivedAt) <= timeout;
        var progress = hosts.Count > 0 ? hosts.Max(Taken) : DateTimeOffset.MinValue;
        return new HostLiveness(now, timeout, heard, progress);
    }

    public bool IsAlive(HostRecord host)
    {
        ArgumentNullException.ThrowIfNull(host);
        return _now - host.ReceivedAt <= _timeout || (Heard && _progress - Taken(host) <= _timeout);
    }

    private static DateTimeOffset Taken(HostRecord host) =>
        host.Heartbeat.Timestamp < host.ReceivedAt ? host.Heartbeat.Timestamp : host.ReceivedAt;
}
