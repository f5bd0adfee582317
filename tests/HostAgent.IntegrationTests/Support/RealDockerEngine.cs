using System.Net.Sockets;
using Docker.DotNet;
using Workers.HostAgent.Agent;
using Workers.HostAgent.Runtime;

namespace Workers.HostAgent.Tests.Support;

/// <summary>The real Docker engine (DOCKER_HOST or /var/run/docker.sock) and the test images, or a failure saying how to get them.</summary>
public static class RealDockerEngine
{
    /// <summary>busybox httpd on 8080 serving /www (which holds /healthz); built by scripts/test.sh.</summary>
    public static readonly string WorkloadImage = TestImages.Workload;

    public const int WorkloadPort = 8080;

    /// <summary>
    /// A host port in the agent's default range (20000-32000) that nothing holds on 127.0.0.1 right now: an agent
    /// refuses a replica bound anywhere else, so tests that start replicas through it take one of these.
    /// </summary>
    public static int FreePortInDefaultRange()
    {
        var range = ContainerPolicy.Default.DynamicPorts;
        for (var attempt = 0; attempt < 100; attempt++)
        {
            var port = Random.Shared.Next(range.First, range.Last + 1);
            try
            {
                using var probe = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, port);
                probe.Start();
                probe.Stop();
                return port;
            }
            catch (SocketException)
            {
                // Taken: try another.
            }
        }

        throw new InvalidOperationException($"no free port in {range} after 100 tries");
    }

    /// <summary>Fails, pointing at scripts/test.sh, when the engine does not answer or the workload image is missing.</summary>
    public static async Task RequireAsync(DockerContainerRuntime runtime, DockerClient docker)
    {
        ArgumentNullException.ThrowIfNull(runtime);
        ArgumentNullException.ThrowIfNull(docker);
        using var probe = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        try
        {
            await runtime.GetCapacityAsync(probe.Token);
        }
        catch (Exception exception) when (exception is HttpRequestException or SocketException or IOException
            or TimeoutException or OperationCanceledException)
        {
            throw new InvalidOperationException(
                $"The Docker engine at {runtime.Endpoint} is not reachable ({exception.Message}). "
                + "Run scripts/test.sh, which installs and starts Docker and builds the test images.", exception);
        }

        try
        {
            await docker.Images.InspectImageAsync(WorkloadImage, probe.Token);
        }
        catch (DockerImageNotFoundException exception)
        {
            throw new InvalidOperationException(
                $"The test workload image {WorkloadImage} is missing. Run scripts/test.sh, which builds the test images.",
                exception);
        }
    }
}
