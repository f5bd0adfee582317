namespace Workers.DockerEngine.Models;

/// <summary>One container of <c>GET /containers/json</c>.</summary>
public sealed record ContainerSummary(
    [property: JsonPropertyName("Id")] string Id,
    [property: JsonPropertyName("Names")] IReadOnlyList<string>? Names,
    [property: JsonPropertyName("Labels")] IReadOnlyDictionary<string, string>? Labels,
    [property: JsonPropertyName("State")] string? State,
    [property: JsonPropertyName("Ports")] IReadOnlyList<PortSummary>? Ports,
    [property: JsonPropertyName("Created")] long Created);

/// <summary>A port of a listed container; <see cref="PublicPort"/> is set when it is published on the host.</summary>
public sealed record PortSummary(
    [property: JsonPropertyName("IP")] string? Ip,
    [property: JsonPropertyName("PrivatePort")] int PrivatePort,
    [property: JsonPropertyName("PublicPort")] int? PublicPort,
    [property: JsonPropertyName("Type")] string? Type);

/// <summary><c>GET /containers/{id}/json</c>, the fields the agent reads.</summary>
public sealed record ContainerInspectResponse(
    [property: JsonPropertyName("Id")] string Id,
    [property: JsonPropertyName("State")] ContainerState? State,
    [property: JsonPropertyName("Config")] ContainerConfigSummary? Config,
    [property: JsonPropertyName("NetworkSettings")] NetworkSettings? NetworkSettings);

/// <summary>Whether an inspected container runs and is paused.</summary>
public sealed record ContainerState(
    [property: JsonPropertyName("Running")] bool Running,
    [property: JsonPropertyName("Paused")] bool Paused);

/// <summary>The part of an inspected container's configuration the agent reads: a TTY container's output is not multiplexed.</summary>
public sealed record ContainerConfigSummary([property: JsonPropertyName("Tty")] bool Tty);

/// <summary>The host ports an inspected container holds, by <c>port/protocol</c>; a port exposed but not bound maps to null.</summary>
public sealed record NetworkSettings(
    [property: JsonPropertyName("Ports")] IReadOnlyDictionary<string, IReadOnlyList<PortBinding>?>? Ports);

/// <summary>A host binding of a container port; an empty <see cref="HostPort"/> asks the engine to choose.</summary>
public sealed record PortBinding(
    [property: JsonPropertyName("HostIp")] string? HostIp,
    [property: JsonPropertyName("HostPort")] string? HostPort);

/// <summary><c>POST /containers/create</c>'s body: the fields the agent sets (the name goes in the query).</summary>
public sealed class ContainerCreateRequest
{
    [JsonPropertyName("Image")]
    public required string Image { get; init; }

    [JsonPropertyName("Cmd")]
    public IReadOnlyList<string>? Cmd { get; init; }

    [JsonPropertyName("Env")]
    public IReadOnlyList<string>? Env { get; init; }

    [JsonPropertyName("Labels")]
    public IReadOnlyDictionary<string, string>? Labels { get; init; }

    [JsonPropertyName("User")]
    public string? User { get; init; }

    /// <summary>The container ports, <c>port/protocol</c>, each mapped to an empty object.</summary>
    [JsonPropertyName("ExposedPorts")]
    public IReadOnlyDictionary<string, EmptyObject>? ExposedPorts { get; init; }

    [JsonPropertyName("HostConfig")]
    public HostConfig? HostConfig { get; init; }
}

/// <summary>The JSON <c>{}</c> the engine uses as a set member.</summary>
public sealed class EmptyObject
{
    public static EmptyObject Instance { get; } = new();
}

/// <summary>A created container's host configuration: the fields the agent sets.</summary>
public sealed class HostConfig
{
    [JsonPropertyName("PortBindings")]
    public IReadOnlyDictionary<string, IReadOnlyList<PortBinding>>? PortBindings { get; init; }

    /// <summary>CPU quota in units of 10⁻⁹ CPUs; 0 is no limit.</summary>
    [JsonPropertyName("NanoCpus")]
    public long NanoCpus { get; init; }

    /// <summary>Memory limit in bytes; 0 is no limit.</summary>
    [JsonPropertyName("Memory")]
    public long Memory { get; init; }

    [JsonPropertyName("RestartPolicy")]
    public RestartPolicy? RestartPolicy { get; init; }

    [JsonPropertyName("NetworkMode")]
    public string? NetworkMode { get; init; }

    [JsonPropertyName("Privileged")]
    public bool Privileged { get; init; }

    [JsonPropertyName("CapDrop")]
    public IReadOnlyList<string>? CapDrop { get; init; }

    [JsonPropertyName("CapAdd")]
    public IReadOnlyList<string>? CapAdd { get; init; }

    [JsonPropertyName("SecurityOpt")]
    public IReadOnlyList<string>? SecurityOpt { get; init; }

    [JsonPropertyName("PidsLimit")]
    public long? PidsLimit { get; init; }

    [JsonPropertyName("ReadonlyRootfs")]
    public bool ReadonlyRootfs { get; init; }

    /// <summary>tmpfs mounts: path to mount options.</summary>
    [JsonPropertyName("Tmpfs")]
    public IReadOnlyDictionary<string, string>? Tmpfs { get; init; }

    [JsonPropertyName("LogConfig")]
    public LogConfig? LogConfig { get; init; }

    [JsonPropertyName("Init")]
    public bool? Init { get; init; }
}

/// <summary>A container's restart policy: <c>no</c>, <c>always</c>, <c>unless-stopped</c> or <c>on-failure</c>.</summary>
public sealed record RestartPolicy(
    [property: JsonPropertyName("Name")] string Name,
    [property: JsonPropertyName("MaximumRetryCount")] int MaximumRetryCount = 0);

/// <summary>A container's log driver and its options.</summary>
public sealed record LogConfig(
    [property: JsonPropertyName("Type")] string Type,
    [property: JsonPropertyName("Config")] IReadOnlyDictionary<string, string>? Config);

/// <summary><c>POST /containers/create</c>'s answer.</summary>
public sealed record ContainerCreateResponse(
    [property: JsonPropertyName("Id")] string Id,
    [property: JsonPropertyName("Warnings")] IReadOnlyList<string>? Warnings);

/// <summary>The query of <c>GET /containers/{id}/logs</c> (never followed).</summary>
/// <param name="Stdout">Whether to include stdout.</param>
/// <param name="Stderr">Whether to include stderr.</param>
/// <param name="Timestamps">Whether each line starts with its RFC 3339 timestamp, to the nanosecond.</param>
/// <param name="Since">Only lines at or after this moment, as the engine reads it (<c>seconds.nanoseconds</c>), or null.</param>
/// <param name="Tail">The last this many lines, or <c>all</c>.</param>
public sealed record ContainerLogsQuery(bool Stdout, bool Stderr, bool Timestamps, string? Since, string Tail);
