using System.Net.Sockets;

namespace Workers.HostAgent.Runtime;

/// <summary>Which failures mean the engine cannot be reached (its own words for a refusal are <see cref="Workers.DockerEngine.DockerEngineException.EngineMessage"/>).</summary>
internal static class DockerEngineErrors
{
    /// <summary>The engine could not be reached (as opposed to refusing what was asked).</summary>
    public static bool IsEngineUnreachable(Exception exception, CancellationToken cancellationToken) => exception switch
    {
        HttpRequestException or SocketException or TimeoutException or IOException => true,
        // The client's own request timeout surfaces as a cancellation nobody asked for.
        OperationCanceledException => !cancellationToken.IsCancellationRequested,
        _ => false,
    };
}
