namespace Workers.DockerEngine.Models;

/// <summary>One object of <c>POST /images/create</c>'s progress stream; an error met mid-pull comes as one of these.</summary>
public sealed record ProgressMessage(
    [property: JsonPropertyName("status")] string? Status,
    [property: JsonPropertyName("error")] string? Error,
    [property: JsonPropertyName("errorDetail")] ProgressError? ErrorDetail);

/// <summary>The detail of an error in a progress stream.</summary>
public sealed record ProgressError(
    [property: JsonPropertyName("code")] int? Code,
    [property: JsonPropertyName("message")] string? Message);
