using System.Globalization;
using System.Text.RegularExpressions;
using Workers.Contracts.Messages;
using Workers.Contracts.Spec;
using Workers.HostAgent.Runtime;

namespace Workers.HostAgent.Agent;

/// <summary>
/// What this agent gives every container it starts and what it lets a spec ask for. Read from WORKERS_* settings at
/// start; the part a spec can run into (host ports, capabilities) is advertised in every heartbeat so that the planner
/// refuses what the agent would, and the agent refuses it again should a start command ask for it anyway.
/// </summary>
/// <param name="DefaultCpu">The CPU limit of a replica whose spec gives none (a cap, not reserved); null for none.</param>
/// <param name="DefaultMemory">The memory limit of a replica whose spec gives none (a cap, not reserved); null for none.</param>
/// <param name="DefaultPidsLimit">The pids limit of a replica whose spec gives none.</param>
/// <param name="LogMaxSize">json-file's <c>max-size</c>: a container's log is rotated at this size.</param>
/// <param name="LogMaxFiles">json-file's <c>max-file</c>: how many log files a container keeps.</param>
/// <param name="DynamicPorts">Where the planner picks host ports for this host; fixed host ports may come from it too.</param>
/// <param name="ExtraHostPorts">Fixed host ports a spec may ask for beyond <paramref name="DynamicPorts"/>.</param>
/// <param name="AllowedCapabilities">The capabilities a spec may give back.</param>
public sealed partial record ContainerPolicy(
    CpuQuantity? DefaultCpu,
    MemoryQuantity? DefaultMemory,
    int DefaultPidsLimit,
    string LogMaxSize,
    int LogMaxFiles,
    HostPortRange DynamicPorts,
    ValueList<HostPortRange> ExtraHostPorts,
    ValueList<Capability> AllowedCapabilities)
{
    /// <summary>Every default: 1 CPU, 512Mi, 512 pids, logs rotated at 10m keeping 3, host ports 20000-32000, Docker's default capabilities.</summary>
    public static ContainerPolicy Default { get; } = new(
        CpuQuantity.FromMillicores(1000),
        MemoryQuantity.FromBytes(512L * 1024 * 1024),
        (int)ContainerHardening.Default.PidsLimit,
        ContainerHardening.Default.LogMaxSize,
        ContainerHardening.Default.LogMaxFiles,
        new HostPortRange(20000, 32000),
        ValueList<HostPortRange>.Empty,
        new ValueList<Capability>(Capability.DockerDefaults));

    /// <summary>What the heartbeat advertises.</summary>
    public HostAllowances Allowances() => new(
        DynamicPorts,
        [DynamicPorts, .. ExtraHostPorts],
        [.. AllowedCapabilities.Select(c => c.Name)]);

    /// <summary>
    /// Why this host does not run <paramref name="spec"/> with these host ports, in the planner's words; null when it
    /// does.
    /// </summary>
    public string? Forbidden(DeploymentSpec spec, IEnumerable<PortBinding> ports)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(ports);
        var capabilities = spec.Capabilities.Where(c => !AllowedCapabilities.Contains(c)).ToList();
        if (capabilities.Count > 0)
        {
            var allowed = AllowedCapabilities.Count == 0 ? "none" : string.Join(", ", AllowedCapabilities);
            return $"this host does not allow capability {string.Join(", ", capabilities)} (it allows {allowed}; WORKERS_ALLOWED_CAPABILITIES)";
        }

        var hostPorts = Allowances().HostPorts;
        var refused = ports
            .Where(p => !hostPorts.Any(range => range.Contains(p.HostPort)))
            .Select(p => $"{p.HostPort}/{(p.Protocol == Protocol.Udp ? "udp" : "tcp")}")
            .ToList();
        return refused.Count > 0
            ? $"this host does not allow host port {string.Join(", ", refused)} (it allows {string.Join(", ", hostPorts)}; WORKERS_HOST_PORT_RANGE, WORKERS_HOST_PORTS_ALLOWED)"
            : null;
    }

    /// <summary>The spec's confinement, with this agent's defaults where it asks nothing.</summary>
    public ContainerHardening HardeningFor(DeploymentSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        return new ContainerHardening(
            [.. spec.Capabilities.Select(c => c.Name)],
            spec.Resources.Pids ?? DefaultPidsLimit,
            spec.User?.Value,
            spec.ReadOnlyRootFilesystem,
            LogMaxSize,
            LogMaxFiles);
    }

    /// <summary>
    /// Reads WORKERS_DEFAULT_CPU, WORKERS_DEFAULT_MEMORY (a quantity, or <c>none</c>), WORKERS_DEFAULT_PIDS_LIMIT,
    /// WORKERS_LOG_MAX_SIZE, WORKERS_LOG_MAX_FILES, WORKERS_HOST_PORT_RANGE (<c>LOW-HIGH</c>), WORKERS_HOST_PORTS_ALLOWED
    /// (<c>80,443,8000-8100</c>) and WORKERS_ALLOWED_CAPABILITIES (names, or <c>none</c>); every mistake goes to
    /// <paramref name="problems"/>.
    /// </summary>
    public static ContainerPolicy Read(Func<string, string?> setting, List<string> problems)
    {
        ArgumentNullException.ThrowIfNull(setting);
        ArgumentNullException.ThrowIfNull(problems);
        var defaults = Default;
        var cpu = ReadLimit<CpuQuantity>(setting("WORKERS_DEFAULT_CPU"), "WORKERS_DEFAULT_CPU", defaults.DefaultCpu, CpuQuantity.TryParse, problems);
        var memory = ReadLimit<MemoryQuantity>(setting("WORKERS_DEFAULT_MEMORY"), "WORKERS_DEFAULT_MEMORY", defaults.DefaultMemory, MemoryQuantity.TryParse, problems);
        var pids = ReadNumber(setting("WORKERS_DEFAULT_PIDS_LIMIT"), "WORKERS_DEFAULT_PIDS_LIMIT", defaults.DefaultPidsLimit, ResourceLimits.MaxPids, problems);
        var logSize = setting("WORKERS_LOG_MAX_SIZE") is { Length: > 0 } size ? size.Trim() : defaults.LogMaxSize;
        if (!LogSize().IsMatch(logSize))
        {
            problems.Add($"WORKERS_LOG_MAX_SIZE '{logSize}': expected a size such as 10m (a whole number with k, m or g)");
        }

        var logFiles = ReadNumber(setting("WORKERS_LOG_MAX_FILES"), "WORKERS_LOG_MAX_FILES", defaults.LogMaxFiles, 100, problems);
        var dynamic = defaults.DynamicPorts;
        if (setting("WORKERS_HOST_PORT_RANGE") is { Length: > 0 } rangeText)
        {
            dynamic = ReadRange(rangeText.Trim(), "WORKERS_HOST_PORT_RANGE", problems) ?? dynamic;
        }

        var extra = new List<HostPortRange>();
        foreach (var item in Items(setting("WORKERS_HOST_PORTS_ALLOWED")))
        {
            if (ReadRange(item, "WORKERS_HOST_PORTS_ALLOWED", problems) is { } range)
            {
                extra.Add(range);
            }
        }

        var capabilities = ReadCapabilities(setting("WORKERS_ALLOWED_CAPABILITIES"), defaults.AllowedCapabilities, problems);
        return new ContainerPolicy(cpu, memory, pids, logSize, logFiles, dynamic, new ValueList<HostPortRange>(extra), capabilities);
    }

    private static IEnumerable<string> Items(string? text) =>
        (text ?? string.Empty).Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    private static T? ReadLimit<T>(string? text, string name, T? fallback, TryParseText<T> parse, List<string> problems)
        where T : class
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return fallback;
        }

        if (string.Equals(text.Trim(), "none", StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        if (parse(text.Trim(), out var value, out var error))
        {
            return value;
        }

        problems.Add($"{name} '{text}': {error}, or 'none' for no default limit");
        return fallback;
    }

    private static int ReadNumber(string? text, string name, int fallback, int max, List<string> problems)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return fallback;
        }

        if (int.TryParse(text.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var value) && value >= 1 && value <= max)
        {
            return value;
        }

        problems.Add($"{name} '{text}': expected a whole number from 1 to {max}");
        return fallback;
    }

    private static HostPortRange? ReadRange(string text, string name, List<string> problems)
    {
        var parts = text.Split('-', 2, StringSplitOptions.TrimEntries);
        if (parts.All(p => int.TryParse(p, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n >= Port.Min && n <= Port.Max))
        {
            var first = int.Parse(parts[0], CultureInfo.InvariantCulture);
            var last = int.Parse(parts[^1], CultureInfo.InvariantCulture);
            if (first <= last)
            {
                return new HostPortRange(first, last);
            }
        }

        problems.Add($"{name}: '{text}' is not a port or a range LOW-HIGH of ports from {Port.Min} to {Port.Max}");
        return null;
    }

    private static ValueList<Capability> ReadCapabilities(string? text, ValueList<Capability> fallback, List<string> problems)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return fallback;
        }

        if (string.Equals(text.Trim(), "none", StringComparison.OrdinalIgnoreCase))
        {
            return ValueList<Capability>.Empty;
        }

        var capabilities = new List<Capability>();
        foreach (var item in Items(text))
        {
            if (!Capability.TryParse(item, out var capability, out var error))
            {
                problems.Add($"WORKERS_ALLOWED_CAPABILITIES: {error}");
                continue;
            }

            if (!capabilities.Contains(capability))
            {
                capabilities.Add(capability);
            }
        }

        return new ValueList<Capability>(capabilities);
    }

    [GeneratedRegex("^[1-9][0-9]{0,8}[kmg]?$", RegexOptions.CultureInvariant)]
    private static partial Regex LogSize();

    private delegate bool TryParseText<T>(string text, out T? value, out string? error);
}
