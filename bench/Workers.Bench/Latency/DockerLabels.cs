using Docker.DotNet;
using Docker.DotNet.Models;

namespace Workers.Bench.Latency;

/// <summary>Finds and removes containers by label: how every side proves it left nothing behind.</summary>
internal static class DockerLabels
{
    public static async Task<IList<ContainerListResponse>> ContainersAsync(DockerClient docker, IReadOnlyDictionary<string, string> labels, CancellationToken cancellationToken) =>
        await docker.Containers.ListContainersAsync(
            new ContainersListParameters
            {
                All = true,
                Filters = new Dictionary<string, IDictionary<string, bool>>(StringComparer.Ordinal)
                {
                    ["label"] = labels.ToDictionary(l => $"{l.Key}={l.Value}", _ => true, StringComparer.Ordinal),
                },
            },
            cancellationToken);

    /// <remarks>
    /// One at a time, outside the timed part: Engine 20.10 can deadlock its network controller when many containers
    /// leave the bridge at once (moby/moby#46661), and the cleanup should not add to that risk.
    /// </remarks>
    public static async Task RemoveAllAsync(DockerClient docker, IReadOnlyDictionary<string, string> labels, CancellationToken cancellationToken)
    {
        foreach (var container in await ContainersAsync(docker, labels, cancellationToken))
        {
            try
            {
                await docker.Containers.RemoveContainerAsync(container.ID, new ContainerRemoveParameters { Force = true }, cancellationToken);
            }
            catch (DockerContainerNotFoundException)
            {
                // Already gone.
            }
        }
    }

    /// <summary>Polls until no container carries <paramref name="labels"/>; throws after <paramref name="deadline"/>.</summary>
    public static async Task WaitUntilNoneAsync(DockerClient docker, IReadOnlyDictionary<string, string> labels, TimeSpan deadline, CancellationToken cancellationToken)
    {
        var until = DateTimeOffset.UtcNow + deadline;
        while (true)
        {
            var left = await ContainersAsync(docker, labels, cancellationToken);
            if (left.Count == 0)
            {
                return;
            }

            if (DateTimeOffset.UtcNow > until)
            {
                throw new InvalidOperationException($"{left.Count} container(s) labelled {string.Join(",", labels.Select(l => $"{l.Key}={l.Value}"))} still exist after {deadline.TotalSeconds:0} s");
            }

            await Task.Delay(TimeSpan.FromMilliseconds(100), cancellationToken);
        }
    }
}
