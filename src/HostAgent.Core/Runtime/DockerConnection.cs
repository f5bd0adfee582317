using Workers.DockerEngine;

namespace Workers.HostAgent.Runtime;

/// <summary>
/// The connection to one Docker engine: the client is created on first use, after <c>GET /version</c> (unversioned)
/// has told the server's API version, and is then pinned to it (see <see cref="DockerApiVersion"/>). A failed
/// connection is not cached; the next call tries again.
/// </summary>
internal sealed partial class DockerConnection(Uri endpoint, ILogger logger) : IDisposable
{
    private readonly SemaphoreSlim _connectGate = new(1, 1);
    private DockerEngineClient? _client;
    private Version? _apiVersion;

    public Uri Endpoint => endpoint;

    /// <summary>The API version negotiated with the engine (connects when not connected yet).</summary>
    public async Task<Version> GetApiVersionAsync(CancellationToken cancellationToken)
    {
        await GetClientAsync(cancellationToken);
        return _apiVersion!;
    }

    public async Task<DockerEngineClient> GetClientAsync(CancellationToken cancellationToken)
    {
        if (Volatile.Read(ref _client) is { } connected)
        {
            return connected;
        }

        await _connectGate.WaitAsync(cancellationToken);
        try
        {
            if (_client is { } raced)
            {
                return raced;
            }

            // Unversioned GET /version answers on every engine, whatever API versions it accepts.
            Workers.DockerEngine.Models.VersionResponse version;
            using (var probe = new DockerEngineClient(endpoint))
            {
                version = await probe.GetVersionAsync(cancellationToken);
            }

            var apiVersion = DockerApiVersion.Negotiate(version.ApiVersion);
            _apiVersion = apiVersion;
            Connected(logger, endpoint, version.Version ?? "(unknown)", version.ApiVersion ?? string.Empty, apiVersion);
            Volatile.Write(ref _client, new DockerEngineClient(endpoint, apiVersion));
            return _client;
        }
        finally
        {
            _connectGate.Release();
        }
    }

    public void Dispose()
    {
        _client?.Dispose();
        _connectGate.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Information,
        Message = "Connected to Docker {EngineVersion} at {Endpoint}: engine API {ServerApiVersion}, using {ApiVersion}")]
    private static partial void Connected(ILogger logger, Uri endpoint, string engineVersion, string serverApiVersion, Version apiVersion);
}
