using System.Diagnostics.CodeAnalysis;
using System.Net;
using Workers.Contracts.Spec;

namespace Workers.HostAgent.Agent;

/// <summary>Who this agent is and how it reports: read once from WORKERS_* settings and checked at start.</summary>
public sealed record AgentOptions(HostId HostId, IReadOnlyDictionary<string, string> Labels, string BindAddress, TimeSpan HeartbeatInterval, TimeSpan StopGrace)
{
    /// <summary>
    /// How long the agent may go without reaching the broker before it stops its own replicas (Nomad's
    /// <c>disconnect.stop_on_client_after</c>); null, the default, never stops them. Off by default, as in Nomad and
    /// Kubernetes: an agent cannot tell a partition of its own from the broker being down for every host, and in the
    /// latter case the functions replace nothing (a fleet-wide silence declares no host down), so stopping would turn a
    /// broker outage into an outage of every workload. Set it (to the functions' host timeout, say) where a replica
    /// running twice for the length of a partition is worse.
    /// </summary>
    public TimeSpan? DisconnectStopAfter { get; init; }

    /// <summary>What every container gets and what a spec may ask for on this host (see <see cref="ContainerPolicy"/>).</summary>
    public ContainerPolicy Containers { get; init; } = ContainerPolicy.Default;

    /// <summary>
    /// Reads WORKERS_HOST_ID, WORKERS_HOST_LABELS (k=v,k=v), WORKERS_BIND_ADDRESS, WORKERS_HEARTBEAT_INTERVAL,
    /// WORKERS_STOP_GRACE, WORKERS_DISCONNECT_STOP_AFTER and the container settings <see cref="ContainerPolicy.Read"/> reads.
    /// </summary>
    public static bool TryRead(Func<string, string?> setting, [NotNullWhen(true)] out AgentOptions? options, out IReadOnlyList<string> errors)
    {
        ArgumentNullException.ThrowIfNull(setting);
        var problems = new List<string>();
        var hostText = setting("WORKERS_HOST_ID") is { Length: > 0 } given ? given : DefaultHostId();
        if (!HostId.TryParse(hostText, out var hostId, out var hostError))
        {
            problems.Add($"WORKERS_HOST_ID '{hostText}': {hostError}");
        }

        var labels = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var pair in (setting("WORKERS_HOST_LABELS") ?? string.Empty).Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var parts = pair.Split('=', 2);
            if (parts.Length != 2 || !Contracts.Spec.Labels.IsKey(parts[0]) || !Contracts.Spec.Labels.IsValue(parts[1]))
            {
                problems.Add($"WORKERS_HOST_LABELS: '{pair}' is not key=value ({Contracts.Spec.Labels.KeyRule}; values: {Contracts.Spec.Labels.ValueRule})");
                continue;
            }

            labels[parts[0]] = parts[1];
        }

        var bind = setting("WORKERS_BIND_ADDRESS") is { Length: > 0 } address ? address : "0.0.0.0";
        if (!IPAddress.TryParse(bind, out _))
        {
            problems.Add($"WORKERS_BIND_ADDRESS '{bind}' is not an IP address");
        }

        var interval = ReadDuration(setting("WORKERS_HEARTBEAT_INTERVAL"), TimeSpan.FromSeconds(5), "WORKERS_HEARTBEAT_INTERVAL", problems);
        var grace = ReadDuration(setting("WORKERS_STOP_GRACE"), TimeSpan.FromSeconds(10), "WORKERS_STOP_GRACE", problems);
        var stopAfter = ReadStopAfter(setting("WORKERS_DISCONNECT_STOP_AFTER"), interval, problems);
        var containers = ContainerPolicy.Read(setting, problems);
        errors = problems;
        options = problems.Count == 0 ? new AgentOptions(hostId!, labels, bind, interval, grace) { DisconnectStopAfter = stopAfter, Containers = containers } : null;
        return options is not null;
    }

    private static TimeSpan? ReadStopAfter(string? text, TimeSpan interval, List<string> problems)
    {
        const string Name = "WORKERS_DISCONNECT_STOP_AFTER";
        if (string.Equals(text?.Trim(), "off", StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        if (string.IsNullOrEmpty(text))
        {
            return null;
        }

        if (!Duration.TryParse(text, out var duration, out var error) || duration.Value <= TimeSpan.Zero)
        {
            problems.Add($"{Name} '{text}': {error ?? "must be longer than zero"}, or 'off' to never stop replicas when the broker is out of reach");
            return null;
        }

        // One missed heartbeat must never be enough.
        if (duration.Value <= interval)
        {
            problems.Add($"{Name} '{text}': must be longer than WORKERS_HEARTBEAT_INTERVAL ({interval.TotalSeconds:0.###}s)");
            return null;
        }

        return duration.Value;
    }

    private static TimeSpan ReadDuration(string? text, TimeSpan fallback, string name, List<string> problems)
    {
        if (string.IsNullOrEmpty(text))
        {
            return fallback;
        }

        if (Duration.TryParse(text, out var duration, out var error) && duration.Value > TimeSpan.Zero)
        {
            return duration.Value;
        }

        problems.Add($"{name} '{text}': {error ?? "must be longer than zero"}");
        return fallback;
    }

    private static string DefaultHostId()
    {
        var name = new string([.. Environment.MachineName.ToLowerInvariant().Select(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '.' ? c : '-')]).Trim('-', '.');
        return name.Length is > 0 and <= 63 ? name : "local";
    }
}
