using System.Diagnostics.CodeAnalysis;
using System.Net;
using Workers.Contracts.Messages;
using Workers.Contracts.Spec;
using Workers.Security;

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

    /// <summary>This agent's keys: it signs what it publishes with them, and secrets for its containers are sealed to them.</summary>
    public required AgentKeys Keys { get; init; }

    /// <summary>The control plane's public keys: a command signed by none of them is refused.</summary>
    public required TrustedKeys ControlKeys { get; init; }

    /// <summary>Signs a message this agent publishes.</summary>
    public T Sign<T>(T message)
        where T : ISignedMessage => Keys.Signing.Sign(message);

    /// <summary>What every container gets and what a spec may ask for on this host (see <see cref="ContainerPolicy"/>).</summary>
    public ContainerPolicy Containers { get; init; } = ContainerPolicy.Default;

    /// <summary>
    /// Reads WORKERS_HOST_ID, WORKERS_HOST_LABELS (k=v,k=v), WORKERS_BIND_ADDRESS, WORKERS_HEARTBEAT_INTERVAL,
    /// WORKERS_STOP_GRACE, WORKERS_DISCONNECT_STOP_AFTER, the keys (WORKERS_AGENT_KEY, WORKERS_CONTROL_KEYS) and the
    /// container settings <see cref="ContainerPolicy.Read"/> reads.
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

            if (!labels.TryAdd(parts[0], parts[1]))
            {
                // As a spec's repeated key is: which one was meant cannot be told, so neither is kept silently.
                problems.Add($"WORKERS_HOST_LABELS: '{parts[0]}' is given twice ('{labels[parts[0]]}' and '{parts[1]}'); give each key once");
            }
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
        var controlKeys = ReadControlKeys(setting("WORKERS_CONTROL_KEYS"), problems);
        var keys = hostId is null ? null : ReadAgentKeys(setting("WORKERS_AGENT_KEY"), hostId, problems);
        errors = problems;
        options = problems.Count == 0
            ? new AgentOptions(hostId!, labels, bind, interval, grace) { DisconnectStopAfter = stopAfter, Containers = containers, Keys = keys!, ControlKeys = controlKeys! }
            : null;
        return options is not null;
    }

    /// <summary>
    /// WORKERS_CONTROL_KEYS: the control plane's public keys, comma-separated, each a base64 key or a file of them;
    /// unset, the <c>control.pub</c> the functions wrote on this machine (the one-machine default). No key, no agent:
    /// an agent that acted on unsigned commands would run whatever anyone with access to its queue sent.
    /// </summary>
    private static TrustedKeys? ReadControlKeys(string? text, List<string> problems)
    {
        var local = Path.Combine(KeyFiles.DefaultDirectory(), "control.pub");
        if (string.IsNullOrWhiteSpace(text))
        {
            if (!File.Exists(local))
            {
                problems.Add($"WORKERS_CONTROL_KEYS is not set and {local} does not exist: give the functions' public key (the functions write it to control.pub beside their key, WORKERS_SIGNING_KEY)");
                return null;
            }

            text = local;
        }

        if (TrustedKeys.TryParse(text, out var keys, out var error))
        {
            return keys;
        }

        problems.Add($"WORKERS_CONTROL_KEYS: {error}");
        return null;
    }

    /// <summary>WORKERS_AGENT_KEY: the path of this agent's key file, made on first start (default <c>~/.local/share/workers/agent-HOST.key</c>).</summary>
    private static AgentKeys? ReadAgentKeys(string? text, HostId hostId, List<string> problems)
    {
        if (text is not null && text.Contains("-----BEGIN", StringComparison.Ordinal))
        {
            // The key itself where its file's path belongs: refuse it without echoing it.
            problems.Add("WORKERS_AGENT_KEY holds PEM text: it takes the path of the agent's key file (made on first start)");
            return null;
        }

        var path = string.IsNullOrWhiteSpace(text) ? AgentKeys.DefaultPath(hostId.Value) : text.Trim();
        try
        {
            return AgentKeys.LoadOrCreate(path);
        }
        catch (Exception e) when (e is FormatException or IOException or UnauthorizedAccessException)
        {
            problems.Add($"WORKERS_AGENT_KEY '{path}': {e.Message}");
            return null;
        }
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
