using Docker.DotNet;
using Docker.DotNet.Models;

namespace Workers.Integration.Tests;

/// <summary>
/// Where a test runs the CLI's local modes (the embedded default, <c>workers serve</c>) as processes: a config and data
/// directory of its own and an agent host id of its own, and, when it is done, no container of that host and no
/// directory left.
/// </summary>
internal sealed class CliSandbox(string prefix) : IAsyncDisposable
{
    public string Directory { get; } = System.IO.Directory.CreateTempSubdirectory($"workers-it-{prefix}-").FullName;

    public string HostId { get; } = $"{prefix}-{Guid.NewGuid():N}"[..14];

    public DockerClient Docker { get; } = new DockerClientBuilder().Build();

    /// <summary>The CLI's settings for this sandbox.</summary>
    public Dictionary<string, string> Environment => new()
    {
        ["XDG_CONFIG_HOME"] = Path.Combine(Directory, "config"),
        ["XDG_DATA_HOME"] = Path.Combine(Directory, "data"),
        ["WORKERS_HOST_ID"] = HostId,
    };

    /// <summary>
    /// Kills the one container of <paramref name="deployment"/> behind Workers' back and waits (up to 120 s) for a
    /// running replacement: what only an agent that watches the replicas between commands does.
    /// </summary>
    public async Task KillTheReplicaAndAwaitItsReplacementAsync(string deployment)
    {
        var first = Assert.Single(await DockerView.ContainersAsync(Docker, HostId, deployment));
        await Docker.Containers.KillContainerAsync(first.ID, new ContainerKillParameters());
        await Poll.UntilAsync(
            () => DockerView.ContainersAsync(Docker, HostId, deployment),
            containers => containers.Any(c => c.ID != first.ID && c.State == "running"),
            TimeSpan.FromSeconds(120),
            $"a replacement for {first.ID[..12]}");
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var container in await DockerView.ContainersAsync(Docker, HostId))
        {
            await Docker.Containers.RemoveContainerAsync(container.ID, new ContainerRemoveParameters { Force = true });
        }

        Docker.Dispose();
        System.IO.Directory.Delete(Directory, recursive: true);
    }
}
