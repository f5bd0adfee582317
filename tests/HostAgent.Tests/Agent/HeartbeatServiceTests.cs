using System.Collections.Concurrent;
using System.Reflection;
using MassTransit;
using MassTransit.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Workers.Contracts.Messages;
using Workers.Contracts.Spec;
using Workers.HostAgent.Agent;
using Workers.HostAgent.Runtime;
using Workers.HostAgent.Tests.Support;

namespace Workers.HostAgent.Tests.Agent;

public sealed class HeartbeatServiceTests
{
    private static readonly AgentOptions Options = new(HostId.From("host-a"), new Dictionary<string, string>(), "127.0.0.1", TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(1)) { Keys = TestKeys.Agent, ControlKeys = TestKeys.Trusted };

    private static readonly ListeningPorts NoPorts = new("/nonexistent/workers-test/proc");

    [Fact]
    public async Task Read_Twice_AsksTheEngineForCapacityOnce()
    {
        var runtime = new CountingRuntime();
        var heartbeats = Heartbeats(runtime, new ManualTime());

        var first = await heartbeats.ReadAsync(CancellationToken.None);
        var second = await heartbeats.ReadAsync(CancellationToken.None);

        Assert.Equal(1, runtime.CapacityReads);
        Assert.Equal(2000, first.CpuCapacityMillicores);
        Assert.Equal(first.MemoryCapacityBytes, second.MemoryCapacityBytes);
    }

    [Fact]
    public async Task Read_SlowContainerList_IsStampedWithWhenTheListWasAskedFor()
    {
        var time = new ManualTime();
        var runtime = new CountingRuntime { OnList = () => time.Now += TimeSpan.FromSeconds(2) };
        var heartbeats = Heartbeats(runtime, time);
        await heartbeats.ReadAsync(CancellationToken.None);
        var asked = time.Now;

        var heartbeat = await heartbeats.ReadAsync(CancellationToken.None);

        Assert.Equal(asked, heartbeat.Timestamp);
        Assert.Equal(asked + TimeSpan.FromSeconds(2), time.Now);
    }

    [Fact]
    public async Task Read_AdvertisesWhatTheAgentAllows()
    {
        var heartbeat = await Heartbeats(new CountingRuntime(), new ManualTime()).ReadAsync(CancellationToken.None);

        var allows = heartbeat.Allows!;
        Assert.Equal(new HostPortRange(20000, 32000), allows.DynamicPorts);
        Assert.Equal([new HostPortRange(20000, 32000)], allows.HostPorts);
        Assert.Equal(Capability.DockerDefaults.Select(c => c.Name), allows.Capabilities);
    }

    [Fact]
    public async Task Read_AfterCapacityLifetime_AsksTheEngineAgain()
    {
        var runtime = new CountingRuntime();
        var time = new ManualTime();
        var heartbeats = Heartbeats(runtime, time);

        await heartbeats.ReadAsync(CancellationToken.None);
        time.Now += HeartbeatService.CapacityLifetime;
        await heartbeats.ReadAsync(CancellationToken.None);

        Assert.Equal(2, runtime.CapacityReads);
    }

    [Fact]
    public async Task Heartbeats_EngineCallTimesOut_KeepBeating()
    {
        // The engine client reports its own request timeout as a TaskCanceledException nobody asked for.
        var runtime = new CountingRuntime { CapacityFailures = 1 };
        await using var provider = OnTestHarness(runtime).BuildServiceProvider(validateScopes: true);
        var harness = provider.GetRequiredService<ITestHarness>();
        await harness.Start();
        var heartbeats = provider.GetRequiredService<HeartbeatService>();

        await heartbeats.StartAsync(harness.CancellationToken);
        try
        {
            Assert.True(await harness.Published.Any<HostHeartbeat>(harness.CancellationToken));
            Assert.Equal(2, runtime.CapacityReads);
        }
        finally
        {
            await heartbeats.StopAsync(CancellationToken.None);
        }
    }

    [Fact]
    public async Task Heartbeats_SeveralFailInARow_LogOneLineWithoutAStackTraceAndOneWhenTheyGetThroughAgain()
    {
        var runtime = new CountingRuntime { CapacityFailures = 3 };
        var log = new RecordingLogger<HeartbeatService>();
        await using var provider = OnTestHarness(runtime).AddSingleton<ILogger<HeartbeatService>>(log).BuildServiceProvider(validateScopes: true);
        var harness = provider.GetRequiredService<ITestHarness>();
        await harness.Start();
        var heartbeats = provider.GetRequiredService<HeartbeatService>();

        await heartbeats.StartAsync(harness.CancellationToken);
        try
        {
            await Poll.UntilAsync(() => log.Entries.Any(e => e.Message.Contains("get through again", StringComparison.Ordinal)), "a line saying the heartbeats get through again");
        }
        finally
        {
            await heartbeats.StopAsync(CancellationToken.None);
        }

        var warnings = log.Entries.Where(e => e.Level >= LogLevel.Warning).ToList();
        var warning = Assert.Single(warnings);
        Assert.Equal("Heartbeat of host-a failed: the engine did not answer in time; trying again every 00:00:00.1000000, quietly until one gets through", warning.Message);
        Assert.Null(warning.Exception);
        Assert.Equal(2, log.Entries.Count(e => e.Level == LogLevel.Debug && e.Exception is not null));
        Assert.Equal("Heartbeats of host-a get through again, after 3 missed", Assert.Single(log.Entries, e => e.Message.Contains("again,", StringComparison.Ordinal)).Message);
    }

    [Fact]
    public async Task Heartbeats_APublishNeverCompletes_TheNextHeartbeatIsStillPublished()
    {
        // A publisher confirm lost in a broker restart: the first publish neither completes nor honours cancellation.
        var publisher = StuckOncePublisher.Create();
        await using var provider = new ServiceCollection()
            .AddScoped(_ => publisher.Endpoint)
            .AddScoped<IAgentPublisher, MassTransitAgentPublisher>()
            .AddSingleton(Options)
            .AddSingleton<TimeProvider>(TimeProvider.System)
            .AddSingleton<IContainerRuntime>(new CountingRuntime())
            .AddSingleton(NoPorts)
            .AddLogging()
            .AddSingleton<HealthProbes>()
            .AddSingleton<HealthMonitor>()
            .AddSingleton<DisconnectGuard>()
            .AddSingleton<HeartbeatService>()
            .BuildServiceProvider(validateScopes: true);
        var heartbeats = provider.GetRequiredService<HeartbeatService>();

        await heartbeats.StartAsync(CancellationToken.None);
        try
        {
            var deadline = DateTimeOffset.UtcNow + TimeSpan.FromSeconds(30);
            while (publisher.Published.IsEmpty && DateTimeOffset.UtcNow < deadline)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(50));
            }

            var published = publisher.Published;
            Assert.False(published.IsEmpty, "no heartbeat was published after the first publish hung");
            Assert.All(published, message => Assert.Equal("host-a", Assert.IsType<HostHeartbeat>(message).HostId));
        }
        finally
        {
            // Bounded: a loop still stuck in the first publish would never end.
            using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            await heartbeats.StopAsync(stop.Token);
        }
    }

    [Fact]
    public async Task Read_WatchedReplica_CarriesItsHealth()
    {
        var time = new ManualTime();
        var running = FakeRuntime.Replica("c1", "host-a", time.Now, (ContainerLabels.MinReadyMs, "0"));
        var runtime = new FakeRuntime { Containers = [running, FakeRuntime.Replica("c2", "host-a", time.Now) with { Running = false, State = "exited" }] };
        using var probes = new HealthProbes(runtime, Options);
        using var health = new HealthMonitor(RecordingPublisher.Create().Scopes(), runtime, probes, Options, time, NullLogger<HealthMonitor>.Instance);
        health.Track(running, time.Now);
        await Poll.UntilAsync(() => health.Current("c1") == HealthVerdict.Healthy, "c1 is healthy");

        var heartbeat = await Heartbeats(runtime, time, health).ReadAsync(CancellationToken.None);

        Assert.Equal([("c1", ReplicaHealth.Healthy), ("c2", ReplicaHealth.Starting)], heartbeat.Replicas.Select(r => (r.ContainerId, r.Health)));
    }

    /// <summary>The heartbeat service and what it needs, publishing on MassTransit's test harness.</summary>
    private static IServiceCollection OnTestHarness(IContainerRuntime runtime) => new ServiceCollection()
        .AddMassTransitTestHarness()
        .AddScoped<IAgentPublisher, MassTransitAgentPublisher>()
        .AddSingleton(Options)
        .AddSingleton<TimeProvider>(TimeProvider.System)
        .AddSingleton(runtime)
        .AddSingleton(NoPorts)
        .AddSingleton<HealthProbes>()
        .AddSingleton<HealthMonitor>()
        .AddSingleton<DisconnectGuard>()
        .AddSingleton<HeartbeatService>();

    private static HeartbeatService Heartbeats(IContainerRuntime runtime, TimeProvider time, HealthMonitor? health = null)
    {
        var scopes = new ServiceCollection().BuildServiceProvider().GetRequiredService<IServiceScopeFactory>();
        health ??= new HealthMonitor(scopes, runtime, new HealthProbes(runtime, Options), Options, time, NullLogger<HealthMonitor>.Instance);
        var guard = new DisconnectGuard(scopes, runtime, Options, time, NullLogger<DisconnectGuard>.Instance);
        return new(scopes, runtime, NoPorts, health, guard, Options, time, NullLogger<HeartbeatService>.Instance);
    }

    /// <summary>Every publish overload of <see cref="IPublishEndpoint"/>: the first never completes, the rest are kept.</summary>
    public class StuckOncePublisher : DispatchProxy
    {
        private int _calls;

        public ConcurrentQueue<object> Published { get; } = new();

        public IPublishEndpoint Endpoint => (IPublishEndpoint)this;

        /// <summary>A proxy is created as the interface; it is an instance of this class too.</summary>
        public static StuckOncePublisher Create() => (StuckOncePublisher)Create<IPublishEndpoint, StuckOncePublisher>();

        protected override object? Invoke(MethodInfo? targetMethod, object?[]? args)
        {
            if (Interlocked.Increment(ref _calls) == 1)
            {
                return new TaskCompletionSource().Task;
            }

            Published.Enqueue(args![0]!);
            return Task.CompletedTask;
        }
    }

    private sealed class RecordingLogger<T> : ILogger<T>
    {
        public ConcurrentQueue<(LogLevel Level, string Message, Exception? Exception)> Entries { get; } = new();

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            Entries.Enqueue((logLevel, formatter(state, exception), exception));
    }

    private sealed class ManualTime : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = new(2025, 1, 1, 0, 0, 0, TimeSpan.Zero);

        public override DateTimeOffset GetUtcNow() => Now;
    }

    private sealed class CountingRuntime : IContainerRuntime
    {
        private int _capacityReads;

        public int CapacityFailures { get; set; }

        public int CapacityReads => Volatile.Read(ref _capacityReads);

        public Task<RuntimeCapacity> GetCapacityAsync(CancellationToken cancellationToken) =>
            Interlocked.Increment(ref _capacityReads) <= CapacityFailures
                ? throw new TaskCanceledException("the engine did not answer in time")
                : Task.FromResult(new RuntimeCapacity(2000, 4L << 30));

        /// <summary>Runs while the containers are listed (a clock moved on, say).</summary>
        public Action? OnList { get; init; }

        public Task<IReadOnlyList<ManagedContainer>> ListAsync(IReadOnlyDictionary<string, string> labels, CancellationToken cancellationToken)
        {
            OnList?.Invoke();
            return Task.FromResult<IReadOnlyList<ManagedContainer>>([]);
        }

        public Task<StartOutcome> EnsureRunningAsync(ContainerLaunch launch, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task WatchExitsAsync(IReadOnlyDictionary<string, string> labels, Func<string, Task> onExit, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task<bool> StopAsync(string nameOrId, TimeSpan stopGrace, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task<bool> RemoveAsync(string name, TimeSpan stopGrace, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task<ExecResult> ExecAsync(string containerId, IReadOnlyList<string> command, TimeSpan timeout, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task<ContainerLogs?> ReadLogsAsync(string containerId, LogsRead read, CancellationToken cancellationToken) => throw new NotSupportedException();
    }
}
