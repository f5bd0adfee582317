using System.Diagnostics;
using System.Globalization;
using Docker.DotNet;
using MassTransit;
using Workers.Cli;
using Workers.Contracts.Messages;
using Workers.HostAgent.Agent;

namespace Workers.Bench.Latency;

/// <summary>
/// Talks to a running Workers pipeline the way a client does, over the bus only: publishes the deployment request and
/// times it until the pipeline's DeploymentSucceeded arrives; deletes through the pipeline too, then checks Docker.
/// </summary>
internal sealed class WorkersPipeline(IBus bus, DeploymentObserver observer, DockerClient docker, string hostId, SpanRecorder? spans)
{
    private static readonly TimeSpan Deadline = TimeSpan.FromMinutes(2);

    /// <summary>Until the host's heartbeat is in the store: nothing can be placed before.</summary>
    public async Task WaitForHostAsync(CancellationToken cancellationToken)
    {
        var client = new WorkersClient(bus, TimeSpan.FromSeconds(5));
        var until = DateTimeOffset.UtcNow + Deadline;
        while (!await LiveAsync())
        {
            if (DateTimeOffset.UtcNow > until)
            {
                throw new InvalidOperationException($"host {hostId} did not report in within {Deadline.TotalSeconds:0} s");
            }

            await Task.Delay(TimeSpan.FromMilliseconds(100), cancellationToken);
        }

        async Task<bool> LiveAsync()
        {
            try
            {
                return (await client.HostsAsync(cancellationToken)).Hosts.Any(h => h.HostId == hostId && h.Live);
            }
            catch (WorkersUnavailableException) when (DateTimeOffset.UtcNow < until)
            {
                // A request published before the functions bound their queue is lost: ask again.
                return false;
            }
        }
    }

    public async Task<TimeSpan> DeployAsync(string name, int replicas, CancellationToken cancellationToken)
    {
        var id = Guid.NewGuid();
        var outcome = observer.ExpectOutcome(id);
        var startedAt = DateTime.UtcNow;
        var started = Stopwatch.GetTimestamp();
        await bus.Publish(new DeploymentRequested(Guid.NewGuid(), id, DateTimeOffset.UtcNow, Workload.Spec(name, replicas), "bench", "bench:latency"), cancellationToken);
        var (result, at) = await outcome.WaitAsync(Deadline, cancellationToken);
        if (spans is not null)
        {
            var heard = observer.Trace(id).Select(e => string.Create(CultureInfo.InvariantCulture, $"{e.What} +{Stopwatch.GetElapsedTime(started, e.At).TotalMilliseconds:0}"));
            Console.Error.WriteLine($"trace {name}: published at {startedAt:HH:mm:ss.fff} UTC, heard {string.Join(", ", heard)}");
            var consumed = spans.Between(startedAt, DateTime.UtcNow);
            Console.Error.WriteLine($"trace {name}: consumed {string.Join(", ", consumed.Select(c => SpanRecorder.Describe(c, startedAt)))}");
            if (consumed.FirstOrDefault(c => c.DisplayName.StartsWith("host.", StringComparison.Ordinal)) is { } agent)
            {
                // Where the time goes in-process: before the agent's start command, in it, and after it.
                var total = Stopwatch.GetElapsedTime(started, at).TotalMilliseconds;
                var before = (agent.StartTimeUtc - startedAt).TotalMilliseconds;
                Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"split {replicas} {before:0} {agent.Duration.TotalMilliseconds:0} {total - before - agent.Duration.TotalMilliseconds:0} (ms before the agent, in its start command, after it)"));
            }
        }

        return result is DeploymentSucceeded
            ? Stopwatch.GetElapsedTime(started, at)
            : throw new InvalidOperationException($"deployment {name} did not succeed: {result}");
    }

    public async Task DeleteAsync(string name, CancellationToken cancellationToken)
    {
        var deleted = observer.ExpectDeletion(name);
        await bus.Publish(new DeleteDeployment(Guid.NewGuid(), Guid.NewGuid(), DateTimeOffset.UtcNow, name, "bench:latency"), cancellationToken);
        await deleted.WaitAsync(Deadline, cancellationToken);
        await DockerLabels.WaitUntilNoneAsync(docker, new Dictionary<string, string> { [ContainerLabels.Host] = hostId, [ContainerLabels.Deployment] = name }, TimeSpan.FromSeconds(30), cancellationToken);
    }

    /// <summary>Whatever a failed run left on this host goes too.</summary>
    public static Task RemoveLeftoversAsync(DockerClient docker, string hostId, CancellationToken cancellationToken) =>
        DockerLabels.RemoveAllAsync(docker, new Dictionary<string, string> { [ContainerLabels.Host] = hostId }, cancellationToken);
}
