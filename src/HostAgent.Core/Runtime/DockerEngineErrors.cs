using System.Net.Sockets;
using System.Text.Json;
using Docker.DotNet;

namespace Workers.HostAgent.Runtime;

/// <summary>What the engine's failures mean: its own words for a refusal, and which failures mean it cannot be reached.</summary>
internal static class DockerEngineErrors
{
    /// <summary>The engine's message from its JSON error body, else the body as it came, else the status code.</summary>
    public static string EngineMessage(DockerApiException exception)
    {
        var body = exception.ResponseBody;
        if (string.IsNullOrWhiteSpace(body))
        {
            return $"{(int)exception.StatusCode} {exception.StatusCode}";
        }

        try
        {
            using var document = JsonDocument.Parse(body);
            if (document.RootElement.ValueKind == JsonValueKind.Object
                && document.RootElement.TryGetProperty("message", out var message)
                && message.ValueKind == JsonValueKind.String)
            {
                return message.GetString()!;
            }
        }
        catch (JsonException)
        {
            // Not the engine's JSON error body: report the body as it came.
        }

        return body.Trim();
    }

    /// <summary>The engine could not be reached (as opposed to refusing what was asked).</summary>
    public static bool IsEngineUnreachable(Exception exception, CancellationToken cancellationToken) => exception switch
    {
        HttpRequestException or SocketException or TimeoutException or IOException => true,
        // The client's own request timeout surfaces as a cancellation nobody asked for.
        OperationCanceledException => !cancellationToken.IsCancellationRequested,
        _ => false,
    };

}
