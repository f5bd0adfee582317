using System.Net.Sockets;

namespace Workers.Bench.LeanFloor;

/// <summary>An <see cref="HttpClient"/> on the Docker engine's Unix socket.</summary>
internal static class EngineSocket
{
    public static HttpClient Create(string dockerHost)
    {
        var path = new Uri(dockerHost).AbsolutePath;
        var handler = new SocketsHttpHandler
        {
            ConnectCallback = async (_, cancellationToken) =>
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
            },
        };
        return new HttpClient(handler) { BaseAddress = new Uri("http://docker/v1.41/") };
    }
}
