using System.Net;

namespace Workers.DockerEngine;

/// <summary>The engine answered with an error status (below 200 or 400 and above); <see cref="EngineMessage"/> is its own words.</summary>
public sealed class DockerEngineException : Exception
{
    public DockerEngineException()
        : this(HttpStatusCode.InternalServerError, null)
    {
    }

    public DockerEngineException(string message)
        : base(message)
    {
        StatusCode = HttpStatusCode.InternalServerError;
        EngineMessage = message;
    }

    public DockerEngineException(string message, Exception innerException)
        : base(message, innerException)
    {
        StatusCode = HttpStatusCode.InternalServerError;
        EngineMessage = message;
    }

    public DockerEngineException(HttpStatusCode statusCode, string? responseBody)
        : this(statusCode, responseBody, MessageOf(statusCode, responseBody))
    {
    }

    private DockerEngineException(HttpStatusCode statusCode, string? responseBody, string engineMessage)
        : base($"the Docker engine answered {(int)statusCode} {statusCode}: {engineMessage}")
    {
        StatusCode = statusCode;
        ResponseBody = responseBody;
        EngineMessage = engineMessage;
    }

    /// <summary>The status code the engine answered with.</summary>
    public HttpStatusCode StatusCode { get; }

    /// <summary>The error body as it came, if any.</summary>
    public string? ResponseBody { get; }

    /// <summary>The <c>message</c> of the engine's JSON error body, else the body as it came, else the status code.</summary>
    public string EngineMessage { get; }

    private static string MessageOf(HttpStatusCode statusCode, string? body)
    {
        if (string.IsNullOrWhiteSpace(body))
        {
            return $"{(int)statusCode} {statusCode}";
        }

        try
        {
            if (JsonSerializer.Deserialize(body, DockerEngineJsonContext.Default.ErrorResponse) is { Message: { } message })
            {
                return message;
            }
        }
        catch (JsonException)
        {
            // Not the engine's JSON error body: report the body as it came.
        }

        return body.Trim();
    }
}
