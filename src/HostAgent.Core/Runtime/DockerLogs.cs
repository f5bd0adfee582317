using System.Globalization;
using System.Net;
using Workers.Contracts.Messages;
using Workers.DockerEngine;
using Workers.DockerEngine.Models;

namespace Workers.HostAgent.Runtime;

// The containers' logs: one bounded read of the engine's logs endpoint (stdout and stderr, multiplexed, with timestamps).
public sealed partial class DockerContainerRuntime
{
    public async Task<ContainerLogs?> ReadLogsAsync(string containerId, LogsRead read, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(containerId);
        ArgumentNullException.ThrowIfNull(read);
        var client = await _connection.GetClientAsync(cancellationToken);
        ContainerInspectResponse inspected;
        try
        {
            inspected = await client.InspectContainerAsync(containerId, cancellationToken);
        }
        catch (DockerEngineException exception) when (exception.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }

        var running = inspected.State?.Running == true;
        var tty = inspected.Config?.Tty == true;

        var since = read.After?.ToSinceParameter()
            ?? (read.Since is { } from ? new LogCursor(from.ToUnixTimeSeconds(), (int)(from.ToUnixTimeMilliseconds() % 1000 * 1_000_000)).ToSinceParameter() : null);
        var query = new ContainerLogsQuery(
            Stdout: true,
            Stderr: true,
            Timestamps: true,
            Since: since,
            Tail: read.After is null && read.Tail is { } tail ? tail.ToString(CultureInfo.InvariantCulture) : "all");
        // Engine 20.10 can break off a read with an error of its own ("Error grabbing logs: unexpected EOF", moby#41820),
        // sent on its "systemerr" stream after a 200, which the client throws on: a read changes nothing, so it is made
        // once more, and reported as what it is if that breaks off too (never answered with the part read).
        for (var attempt = 1; ; attempt++)
        {
            var chunk = new LogChunk(read);
            try
            {
                using var stream = await client.GetContainerLogsAsync(containerId, query, tty, cancellationToken);
                var buffer = new byte[16 * 1024];
                while (!chunk.Full && await stream.ReadOutputAsync(buffer, cancellationToken).AsTask().WaitAsync(cancellationToken) is { EndOfStream: false } result)
                {
                    chunk.Add(result.Target == DockerStreamTarget.StandardError ? "stderr" : "stdout", buffer.AsSpan(0, result.Count));
                }

                return chunk.Finish(running);
            }
            catch (DockerEngineException exception) when (exception.StatusCode == HttpStatusCode.NotFound)
            {
                return null;
            }
            catch (IOException exception) when (!cancellationToken.IsCancellationRequested)
            {
                if (attempt == 2)
                {
                    throw new IOException($"the engine broke off reading the logs of {ContainerIds.Short(containerId)} twice: {exception.Message}", exception);
                }
            }
        }
    }
}
