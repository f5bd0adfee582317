namespace Workers.DockerEngine.Models;

/// <summary><c>GET /version</c>: the engine's release and the newest API version it speaks.</summary>
public sealed record VersionResponse(
    [property: JsonPropertyName("Version")] string? Version,
    [property: JsonPropertyName("ApiVersion")] string? ApiVersion);

/// <summary><c>GET /info</c>: what the engine's host offers.</summary>
public sealed record SystemInfoResponse(
    [property: JsonPropertyName("NCPU")] long NCpu,
    [property: JsonPropertyName("MemTotal")] long MemTotal);

/// <summary>The engine's JSON error body.</summary>
public sealed record ErrorResponse([property: JsonPropertyName("message")] string? Message);
