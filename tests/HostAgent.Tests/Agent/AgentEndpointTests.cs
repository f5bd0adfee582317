using System.Collections.Concurrent;
using MassTransit;
using MassTransit.Testing;
using Microsoft.Extensions.DependencyInjection;
using Workers.Contracts.Messages;
using Workers.Contracts.Spec;
using Workers.HostAgent.Agent;
using Workers.HostAgent.Runtime;
using Workers.HostAgent.Tests.Support;
using Workers.Transport;

namespace Workers.HostAgent.Tests.Agent;

/// <summary>
/// The agent's queue as <see cref="AgentMassTransitRegistration.ConfigureAgentEndpoint"/> sets it up (on MassTransit's in-memory
/// transport): one deployment's commands one at a time and in order, other deployments' commands meanwhile.
/// </summary>
public sealed class AgentEndpointTests
{
    private static readonly AgentOptions Options = new(HostId.From("host-a"), new Dictionary<string, string>(), "127.0.0.1", TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(1)) { Keys = TestKeys.Agent, ControlKeys = TestKeys.Trusted };

    [Fact]
    public async Task Commands_OneDeploymentsStopHangs_AnotherDeploymentsStopIsCarriedOutMeanwhileAndTheHungOnesNextWaitsItsTurn()
    {
        var runtime = new GatedRemovals("slow");
        await using var provider = new ServiceCollection()
            .AddMassTransitTestHarness(bus =>
            {
                bus.AddWorkersAgentConsumers();
                bus.UsingInMemory((context, cfg) => cfg.ConfigureAgentEndpoint(context, Options));
            })
            .AddSingleton(Options)
            .AddSingleton<TimeProvider>(TimeProvider.System)
            .AddSingleton<IContainerRuntime>(runtime)
            .AddSingleton<HealthProbes>()
            .AddSingleton<HealthMonitor>()
            .AddSingleton<ReplicaCommandHandler>()
            .BuildServiceProvider(validateScopes: true);
        var harness = provider.GetRequiredService<ITestHarness>();
        await harness.Start();
        var queue = await harness.Bus.GetSendEndpoint(new Uri($"queue:{Queues.Host("host-a")}"));

        await queue.Send(Stop("slow", 0));
        await queue.Send(Stop("slow", 1));
        await queue.Send(Stop("fast", 0));

        Assert.True(await harness.Published.Any<ReplicaStopped>(m => m.Context.Message.Name == "fast", harness.CancellationToken), "the other deployment's stop waited for the hung one");
        Assert.Equal(["slow-r1-0.host-a"], runtime.Entered.Where(n => n.StartsWith("slow", StringComparison.Ordinal)));

        runtime.Release();

        Assert.True(await harness.Published.Any<ReplicaStopped>(m => m.Context.Message.Name == "slow" && m.Context.Message.Revision == 1, harness.CancellationToken));
        await Poll.UntilAsync(() => runtime.Entered.Count(n => n.StartsWith("slow", StringComparison.Ordinal)) == 2, "the hung deployment's second stop");
        Assert.Equal(["slow-r1-0.host-a", "slow-r1-1.host-a"], runtime.Entered.Where(n => n.StartsWith("slow", StringComparison.Ordinal)));
    }

    private static StopReplicas Stop(string name, int index) => TestKeys.Control.Sign(new StopReplicas(Guid.NewGuid(), Guid.NewGuid(), DateTimeOffset.UtcNow, "host-a", name, 1, [index]));

    /// <summary>An engine whose removals of containers named with <paramref name="gated"/> wait until released.</summary>
    private sealed class GatedRemovals(string gated) : IContainerRuntime
    {
        private readonly TaskCompletionSource _gate = new(TaskCreationOptions.RunContinuationsAsynchronously);

        /// <summary>Removals begun, in order.</summary>
        public ConcurrentQueue<string> Entered { get; } = new();

        public void Release() => _gate.TrySetResult();

        public async Task<bool> RemoveAsync(string name, TimeSpan stopGrace, CancellationToken cancellationToken)
        {
            Entered.Enqueue(name);
            if (name.StartsWith(gated, StringComparison.Ordinal))
            {
                await _gate.Task.WaitAsync(cancellationToken);
            }

            return true;
        }

        public Task<RuntimeCapacity> GetCapacityAsync(CancellationToken cancellationToken) => Task.FromResult(new RuntimeCapacity(2000, 4L << 30));

        public Task<IReadOnlyList<ManagedContainer>> ListAsync(IReadOnlyDictionary<string, string> labels, CancellationToken cancellationToken) =>
            Task.FromResult<IReadOnlyList<ManagedContainer>>([]);

        public Task<ExecResult> ExecAsync(string containerId, IReadOnlyList<string> command, TimeSpan timeout, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task<ContainerLogs?> ReadLogsAsync(string containerId, LogsRead read, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task<StartOutcome> EnsureRunningAsync(ContainerLaunch launch, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task WatchExitsAsync(IReadOnlyDictionary<string, string> labels, Func<string, Task> onExit, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task<bool> StopAsync(string nameOrId, TimeSpan stopGrace, CancellationToken cancellationToken) => throw new NotSupportedException();
    }
}
