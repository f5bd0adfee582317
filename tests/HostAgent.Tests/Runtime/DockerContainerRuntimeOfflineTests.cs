using Microsoft.Extensions.Logging.Abstractions;
using Workers.HostAgent.Runtime;

namespace Workers.HostAgent.Tests.Runtime;

/// <summary>Behaviour that needs no Docker engine.</summary>
public sealed class DockerContainerRuntimeOfflineTests
{
    private static readonly Uri Nowhere = new("unix:///nonexistent/workers-test/docker.sock");

    [Fact]
    public async Task EnsureRunning_EngineUnreachable_IsFailedNotThrown()
    {
        using var runtime = new DockerContainerRuntime(Nowhere, NullLogger<DockerContainerRuntime>.Instance);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));

        var outcome = await runtime.EnsureRunningAsync(
            new ContainerLaunch("workers-offline", "workers-test/httpd:1", null,
                new Dictionary<string, string>(), [], null, null, new Dictionary<string, string>(), "127.0.0.1"),
            timeout.Token);

        var failed = Assert.IsType<ContainerFailed>(outcome);
        Assert.Contains("unreachable", failed.Reason, StringComparison.Ordinal);
        Assert.Contains(Nowhere.ToString(), failed.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task GetCapacity_EngineUnreachable_Throws()
    {
        using var runtime = new DockerContainerRuntime(Nowhere, NullLogger<DockerContainerRuntime>.Instance);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));

        await Assert.ThrowsAsync<HttpRequestException>(() => runtime.GetCapacityAsync(timeout.Token));
    }

    [Theory]
    [InlineData("not-an-ip", "tcp", 80)]
    [InlineData("127.0.0.1", "sctp", 80)]
    [InlineData("127.0.0.1", "tcp", 0)]
    [InlineData("127.0.0.1", "tcp", 70000)]
    public async Task EnsureRunning_InvalidLaunch_Throws(string bindAddress, string protocol, int containerPort)
    {
        using var runtime = new DockerContainerRuntime(Nowhere, NullLogger<DockerContainerRuntime>.Instance);

        await Assert.ThrowsAsync<ArgumentException>(() => runtime.EnsureRunningAsync(
            new ContainerLaunch("workers-invalid", "workers-test/httpd:1", null, new Dictionary<string, string>(),
                [new PortPublish(containerPort, 0, protocol)], null, null, new Dictionary<string, string>(), bindAddress),
            CancellationToken.None));
    }
}
