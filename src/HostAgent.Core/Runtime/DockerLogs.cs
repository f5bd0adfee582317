using System.Globalization;
using System.Net;
using Docker.DotNet;
using Docker.DotNet.Models;

namespace Workers.HostAgent.Runtime;

// The containers' logs: one bounded read of the engine's logs endpoint (stdout and stderr, multiplexed, with timestamps).
public sealed partial class DockerContainerRuntime
{
    public async Task<ContainerLogs?> ReadLogsAsync(string containerId, LogsRead read, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(containerId);
        ArgumentNullException.ThrowIfNull(read);
        var client = await _connection.GetClientAsync(cancellationToken);
        bool running;
        try
        {
            running = (await client.Containers.InspectContainerAsync(containerId, cancellationToken)).State?.Running == true;
        }
        catch (DockerApiException exception) when (exception.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }

        var since = read.After?.ToSinceParameter()
            ?? (read.Since is { } from ? new LogCursor(from.ToUnixTimeSeconds(), (int)(from.ToUnixTimeMilliseconds() % 1000 * 1_000_000)).ToSinceParameter() : null);
        var parameters = new ContainerLogsParameters
        {
            ShowStdout = true,
            ShowStderr = true,
            Timestamps = true,
            Follow = false,
            Since = since,
            Tail = read.After is null && read.Tail is { } tail ? tail.ToString(CultureInfo.InvariantCulture) : "all",
        };
        var chunk = new LogChunk(read);
        try
        {
            using var stream = await client.Containers.GetContainerLogsAsync(containerId, parameters, cancellationToken);
            var buffer = new byte[16 * 1024];
            while (!chunk.Full && await stream.ReadOutputAsync(buffer, 0, buffer.Length, cancellationToken).WaitAsync(cancellationToken) is { EOF: false } result)
            {
                chunk.Add(result.Target == MultiplexedStream.TargetStream.StandardError ? "stderr" : "stdout", buffer.AsSpan(0, result.Count));
            }
        }
        catch (DockerApiException exception) when (exception.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }

        return chunk.Finish(running);
    }
}
