using System.Net.Sockets;

namespace Workers.DockerEngine;

/// <summary>
/// Where the engine listens: <c>unix:///path/to/docker.sock</c>, or <c>tcp://host:port</c> (also written
/// <c>http://host:port</c>) spoken as plain HTTP. Anything else, TLS (<c>https://</c>) among it, is refused here rather
/// than spoken as something it is not.
/// </summary>
internal static class DockerEngineEndpoint
{
    /// <summary>The base address requests go to, and a handler that connects to <paramref name="endpoint"/>.</summary>
    /// <exception cref="NotSupportedException">The scheme is not one the client speaks.</exception>
    public static (Uri BaseAddress, SocketsHttpHandler Handler) Connect(Uri endpoint)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        var handler = new SocketsHttpHandler
        {
            PooledConnectionIdleTimeout = TimeSpan.FromMinutes(2),
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
            UseProxy = false,
            AllowAutoRedirect = false,
            UseCookies = false,
        };
        switch (endpoint.Scheme.ToLowerInvariant())
        {
            case "unix":
                var path = endpoint.LocalPath;
                if (string.IsNullOrEmpty(path) || path == "/")
                {
                    handler.Dispose();
                    throw new NotSupportedException($"the Docker endpoint {endpoint} names no socket path (unix:///var/run/docker.sock)");
                }

                handler.ConnectCallback = async (_, cancellationToken) =>
                {
                    var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                    try
                    {
                        await socket.ConnectAsync(new UnixDomainSocketEndPoint(path), cancellationToken);
                        return new NetworkStream(socket, ownsSocket: true);
                    }
                    catch
                    {
                        socket.Dispose();
                        throw;
                    }
                };
                // The host name is only the Host header: the callback above decides where to connect.
                return (new Uri("http://localhost/"), handler);
            case "tcp" or "http":
                if (string.IsNullOrEmpty(endpoint.Host))
                {
                    handler.Dispose();
                    throw new NotSupportedException($"the Docker endpoint {endpoint} names no host (tcp://host:2375)");
                }

                return (new UriBuilder(Uri.UriSchemeHttp, endpoint.Host, endpoint.Port, "/").Uri, handler);
            default:
                handler.Dispose();
                throw new NotSupportedException(
                    $"the Docker endpoint {endpoint} is not supported: its scheme '{endpoint.Scheme}' is not unix or tcp (plain HTTP); TLS and SSH endpoints are not supported");
        }
    }
}
