namespace Workers.DockerEngine.Models;

/// <summary><c>POST /containers/{id}/exec</c>'s body.</summary>
public sealed record ExecCreateRequest(
    [property: JsonPropertyName("Cmd")] IReadOnlyList<string> Cmd,
    [property: JsonPropertyName("AttachStdout")] bool AttachStdout,
    [property: JsonPropertyName("AttachStderr")] bool AttachStderr);

/// <summary><c>POST /containers/{id}/exec</c>'s answer.</summary>
public sealed record ExecCreateResponse([property: JsonPropertyName("Id")] string Id);

/// <summary><c>POST /exec/{id}/start</c>'s body.</summary>
public sealed record ExecStartRequest(
    [property: JsonPropertyName("Detach")] bool Detach,
    [property: JsonPropertyName("Tty")] bool Tty);

/// <summary><c>GET /exec/{id}/json</c>: whether it runs and, once ended, its exit code.</summary>
public sealed record ExecInspectResponse(
    [property: JsonPropertyName("Running")] bool Running,
    [property: JsonPropertyName("ExitCode")] long? ExitCode);
