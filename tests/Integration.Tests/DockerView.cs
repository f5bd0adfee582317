using Docker.DotNet;
using Docker.DotNet.Models;

namespace Workers.Integration.Tests;

/// <summary>Docker's own view of what Workers runs, to compare with what Workers says.</summary>
internal static class DockerView
{
    public static async Task<IList<ContainerListResponse>> ContainersAsync(DockerClient docker, string hostId, string? deployment = null)
    {
        var labels = new Dictionary<string, bool> { [$"workers.host={hostId}"] = true };
        if (deployment is not null)
        {
            labels[$"workers.deployment={deployment}"] = true;
        }

        return await docker.Containers.ListContainersAsync(new ContainersListParameters
        {
            All = true,
            Filters = new Dictionary<string, IDictionary<string, bool>> { ["label"] = labels },
        });
    }
}
