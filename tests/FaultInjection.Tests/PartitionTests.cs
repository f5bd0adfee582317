using System.Diagnostics;
using System.Globalization;
using System.Net;
using Docker.DotNet;
using Docker.DotNet.Models;
using Workers.Contracts.Messages;
using Workers.Functions.Store;
using Workers.Transport;
using Xunit.Abstractions;

namespace Workers.FaultInjection.Tests;

/// <summary>
/// A real partition: one agent reaches the broker only through a <see cref="TcpProxy"/>, which is switched to drop
/// nothing and pass nothing. The functions declare the silent host down after their host timeout and place its
/// replicas elsewhere; the agent, after WORKERS_DISCONNECT_STOP_AFTER without a heartbeat getting through, stops its
/// own copies. Everything is judged from Docker's own view, beside the store's.
/// </summary>
public sealed class PartitionTests(ITestOutputHelper output)
{
    private const int Replicas = 6;

    /// <summary>The cut-off agent's WORKERS_DISCONNECT_STOP_AFTER.</summary>
    private static readonly TimeSpan StopAfter = TimeSpan.FromSeconds(8);

    /// <summary>The agents' WORKERS_STOP_GRACE and WORKERS_HEARTBEAT_INTERVAL in <see cref="FaultCluster"/>.</summary>
    private static readonly TimeSpan StopGrace = TimeSpan.FromSeconds(1);

    private static readonly TimeSpan HeartbeatInterval = TimeSpan.FromSeconds(1);

    /// <summary>What a stop may take beyond the setting and the grace: the guard's check, Docker's stop, this test's sampling.</summary>
    private static readonly TimeSpan Margin = TimeSpan.FromSeconds(3);

    private static readonly TimeSpan Sampling = TimeSpan.FromMilliseconds(100);

    private readonly Lock _gate = new();
    private string? _detailsPath;

    [Fact]
    public async Task Agent_CutOffFromTheBroker_StopsItsCopiesOnceReplacedAndNothingRunsTwiceAfterHealing()
    {
        var suffix = $"p{Random.Shared.Next(0x100000):x5}";
        var names = new List<string> { $"part-{suffix}" };
        _detailsPath = Path.Combine(FaultCluster.LogDirectoryFor(suffix), "partition.log");
        TcpProxy? proxy = null;
        FaultCluster? cluster = null;
        try
        {
            cluster = await FaultCluster.StartAsync(suffix, Detail, (index, settings) =>
            {
                if (index != 0)
                {
                    return;
                }

                // rabbitmq://user:password@127.0.0.1:P1,127.0.0.1:P2,127.0.0.1:P3/ -> this agent gets the first node only,
                // through the proxy: cutting the proxy cuts it off from the whole cluster (no survivor to reconnect to).
                var broker = Broker.Parse(settings["WORKERS_BROKER"]);
                proxy = new TcpProxy(new IPEndPoint(IPAddress.Loopback, broker.Port));
                settings["WORKERS_BROKER"] = $"rabbitmq://{Uri.EscapeDataString(broker.Username)}:{Uri.EscapeDataString(broker.Password)}@127.0.0.1:{proxy.Port}/";
                settings["WORKERS_DISCONNECT_STOP_AFTER"] = $"{StopAfter.TotalSeconds:0}s";
            });
            Assert.NotNull(proxy);
            Assert.True(proxy.Accepted > 0, "the cut-off agent reaches the broker through the proxy");
            await RunAsync(cluster, proxy, cluster.HostIds[0], names);
        }
        finally
        {
            if (cluster is not null)
            {
                await cluster.DisposeAsync();
            }

            if (proxy is not null)
            {
                await proxy.DisposeAsync();
            }
        }

        // The cluster's disposal removed every container of its hosts.
        using var docker = new DockerClientBuilder().Build();
        foreach (var name in names)
        {
            Assert.Empty(await docker.Containers.ListContainersAsync(new ContainersListParameters { All = true, Filters = DeploymentFilter(name) }));
        }
    }

    private async Task RunAsync(FaultCluster cluster, TcpProxy proxy, string cutHost, List<string> names)
    {
        var (id, name, ready) = await DeployAsync(cluster, names);

        // The planner spreads replicas evenly over the three hosts.
        var cutOff = ready.Running.Where(c => Label(c, "workers.host") == cutHost).Select(c => c.ID).ToList();
        Assert.True(cutOff.Count >= 1, $"no replica of {name} landed on {cutHost}: {Describe(ready)}");
        Say($"{name}: {Replicas} replicas running, {cutOff.Count} on {cutHost}; cutting {cutHost} off the broker (stop after {StopAfter.TotalSeconds:0}s)");

        // The cut: from here on nothing passes between the agent and the broker, and nothing is refused either.
        proxy.Blackhole();
        var cut = Stopwatch.StartNew();
        var lastSeenRunning = TimeSpan.Zero;
        TimeSpan? stopped = null, replaced = null;
        var deadline = StopAfter + TimeSpan.FromSeconds(60);
        View view;
        do
        {
            if (cut.Elapsed > deadline)
            {
                Assert.Fail($"within {deadline.TotalSeconds:0}s of the cut: copies stopped={stopped is not null}, replicas running elsewhere={replaced is not null}; {Describe(await ReadAsync(cluster, id, name))}");
            }

            var sampledAt = cut.Elapsed;
            view = await ReadAsync(cluster, id, name);
            var copies = cutOff.Select(c => view.Containers.FirstOrDefault(listed => listed.ID == c)).ToList();
            Assert.All(copies, copy => Assert.True(copy is not null, "a cut-off copy was removed while cut off; it must only be stopped"));
            if (copies.Any(c => c!.State == "running"))
            {
                lastSeenRunning = sampledAt;
            }
            else
            {
                stopped ??= sampledAt;
            }

            if (replaced is null && RunsElsewhere(view, cutHost))
            {
                replaced = sampledAt;
                Detail($"replicas running elsewhere {replaced.Value.TotalSeconds:0.00}s after the cut: {Describe(view)}");
            }

            await Task.Delay(Sampling);
        }
        while (stopped is null || replaced is null);

        Say($"{cutHost}'s {cutOff.Count} copies stopped {stopped.Value.TotalSeconds:0.00}s after the cut (last seen running at {lastSeenRunning.TotalSeconds:0.00}s; "
            + $"setting {StopAfter.TotalSeconds:0}s, heartbeat {HeartbeatInterval.TotalSeconds:0}s, stop grace {StopGrace.TotalSeconds:0}s); "
            + $"replacements running elsewhere at {replaced.Value.TotalSeconds:0.00}s (host timeout {FaultCluster.HostTimeout.TotalSeconds:0}s); "
            + $"both copies ran for {Math.Max(0, (stopped.Value - replaced.Value).TotalSeconds):0.00}s");
        Assert.True(stopped <= StopAfter + StopGrace + Margin, $"the copies stopped {stopped.Value.TotalSeconds:0.00}s after the cut, later than {(StopAfter + StopGrace + Margin).TotalSeconds:0}s");

        // The last heartbeat that got through may precede the cut by up to an interval; never earlier than that.
        Assert.True(lastSeenRunning >= StopAfter - HeartbeatInterval - TimeSpan.FromSeconds(1), $"the copies were last seen running {lastSeenRunning.TotalSeconds:0.00}s after the cut: stopped before the setting ran out");

        // Docker's own view while still cut off: stopped, not removed, labels intact; the store has them elsewhere.
        view = await ReadAsync(cluster, id, name);
        foreach (var copy in cutOff.Select(c => view.Containers.Single(listed => listed.ID == c)))
        {
            Assert.Equal("exited", copy.State);
            Assert.Equal(cutHost, Label(copy, "workers.host"));
        }

        Assert.True(RunsElsewhere(view, cutHost), Describe(view));
        var agentLog = await ReadLogAsync(Path.Combine(cluster.LogDirectory, $"agent-{cutHost}.log"));
        Assert.All(cutOff, c => Assert.Contains($"stopped in {c}: cut off from the broker", agentLog, StringComparison.Ordinal));

        proxy.Heal();
        var healed = Stopwatch.StartNew();
        var settled = await Poll.UntilAsync(
            () => ReadAsync(cluster, id, name),
            v => Settled(v, cutOff),
            TimeSpan.FromSeconds(120),
            "one running container per replica and the cut-off copies removed after healing");
        Say($"healed: cut-off copies removed and one container per replica {healed.Elapsed.TotalSeconds:0.00}s later; {Describe(settled)}");

        // And it stays so: nothing the partition left behind (a stale start, a late stop) brings a second copy back.
        var window = Stopwatch.StartNew();
        while (window.Elapsed < TimeSpan.FromSeconds(5))
        {
            var now = await ReadAsync(cluster, id, name);
            Assert.True(Settled(now, cutOff), $"{window.Elapsed.TotalSeconds:0.0}s after settling: {Describe(now)}");
            await Task.Delay(TimeSpan.FromMilliseconds(250));
        }

        agentLog = await ReadLogAsync(Path.Combine(cluster.LogDirectory, $"agent-{cutHost}.log"));
        var reported = cutOff.Count(c => agentLog.Contains($"stopped for the partition is reported and removed ({c})", StringComparison.Ordinal));
        Say($"the agent reported {reported} of {cutOff.Count} cut-off copies itself (the functions' orphan stop removes any it had not reached yet)");
    }

    /// <summary>
    /// A deployment of <see cref="Replicas"/> replicas, running. What is under test starts at the cut: should the first
    /// rollout fail on a machine too loaded to start containers within the cluster's short deadlines (a start command
    /// expired, say), a new deployment is made, at most three times.
    /// </summary>
    private async Task<(Guid Id, string Name, View Ready)> DeployAsync(FaultCluster cluster, List<string> names)
    {
        for (var attempt = 1; ; attempt++)
        {
            var id = Guid.NewGuid();
            var name = attempt == 1 ? names[0] : $"{names[0]}-{attempt}";
            if (attempt > 1)
            {
                names.Add(name);
            }

            var spec = $"""
                name: {name}
                image: {TestImages.Workload}
                replicas: {Replicas}
                ports:
                  - container: 8080
                resources:
                  memory: 16Mi

                """;
            await cluster.Bus.Publish(new DeploymentRequested(id, id, DateTimeOffset.UtcNow, spec, $"{name}.yaml", "partition-test"));
            var view = await Poll.UntilAsync(
                () => ReadAsync(cluster, id, name),
                v => (v.Revision?.State == DeploymentState.Running && v.Running.Count == Replicas && OneEach(v))
                    || v.Revision?.State is DeploymentState.Failed or DeploymentState.RolledBack,
                TimeSpan.FromSeconds(120),
                $"{name} running {Replicas} replicas");
            if (view.Revision?.State == DeploymentState.Running)
            {
                return (id, name, view);
            }

            Say($"{name} failed before the cut ({view.Revision?.Reason}); {(attempt < 3 ? "deploying anew" : "giving up")}");
            Assert.True(attempt < 3, $"three deployments failed before the cut; the last: {view.Revision?.Reason}");
        }
    }

    /// <summary>Every replica the store has running is a running container in Docker on the same host, and nothing else runs.</summary>
    private static bool OneEach(View view)
    {
        var running = view.Replicas.Where(r => r.State == ReplicaState.Running).ToList();
        return running.Count == view.Running.Count
            && view.Running.GroupBy(c => (Label(c, "workers.revision"), Label(c, "workers.replica"))).All(g => g.Count() == 1)
            && running.All(r => view.Running.Any(c =>
                c.ID == r.ContainerId
                && c.Names.Contains($"/{r.Name}-r{r.Revision}-{r.Index}.{r.HostId}")
                && Label(c, "workers.host") == r.HostId));
    }

    private static bool RunsElsewhere(View view, string cutHost) =>
        view.Revision?.State == DeploymentState.Running
        && view.Running.Count(c => Label(c, "workers.host") != cutHost) == Replicas
        && view.Replicas.Count(r => r.State == ReplicaState.Running) == Replicas
        && view.Replicas.Where(r => r.State == ReplicaState.Running).All(r => r.HostId != cutHost)
        && OneEach(view with { Containers = [.. view.Containers.Where(c => Label(c, "workers.host") != cutHost)] });

    private static bool Settled(View view, IReadOnlyCollection<string> cutOff) =>
        view.Revision?.State == DeploymentState.Running
        && view.Running.Count == Replicas
        && OneEach(view)
        && !view.Containers.Any(c => cutOff.Contains(c.ID));

    private static async Task<View> ReadAsync(FaultCluster cluster, Guid id, string name)
    {
        var containers = await cluster.Docker.Containers.ListContainersAsync(new ContainersListParameters { All = true, Filters = DeploymentFilter(name) });
        var revision = await cluster.Store.GetRevisionAsync(id, CancellationToken.None);
        var replicas = await cluster.Store.GetReplicasAsync(id, CancellationToken.None);
        return new View([.. containers], revision, replicas);
    }

    private static Dictionary<string, IDictionary<string, bool>> DeploymentFilter(string name) =>
        new(StringComparer.Ordinal) { ["label"] = new Dictionary<string, bool> { [$"workers.deployment={name}"] = true } };

    private static string Describe(View view) =>
        $"revision {view.Revision?.State.ToString() ?? "missing"}; store: "
        + string.Join(", ", view.Replicas.OrderBy(r => r.Index).Select(r => $"#{r.Index}@{r.HostId}={r.State}"))
        + "; docker: "
        + string.Join(", ", view.Containers.Select(c => $"{c.Names.FirstOrDefault()?.TrimStart('/')}={c.State}").Order(StringComparer.Ordinal));

    private static string Label(ContainerListResponse container, string key) =>
        container.Labels is not null && container.Labels.TryGetValue(key, out var value) ? value : string.Empty;

    /// <summary>The agent's log as written so far (its writer keeps the file open).</summary>
    private static async Task<string> ReadLogAsync(string path)
    {
        await using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        using var reader = new StreamReader(stream);
        return await reader.ReadToEndAsync();
    }

    /// <summary>To the test's output and to standard output, so that `dotnet test` shows it, and to partition.log.</summary>
    private void Say(string line)
    {
        Console.WriteLine(line);
        Detail(line);
    }

    private void Detail(string line)
    {
        var stamped = $"{DateTimeOffset.UtcNow.ToString("HH:mm:ss.fff", CultureInfo.InvariantCulture)} {line}";
        output.WriteLine(stamped);
        lock (_gate)
        {
            File.AppendAllLines(_detailsPath!, [stamped]);
        }
    }

    /// <summary>One look at the deployment: Docker's containers (all hosts, all states) and the store's revision and replicas.</summary>
    private sealed record View(IReadOnlyList<ContainerListResponse> Containers, RevisionRecord? Revision, IReadOnlyList<ReplicaRecord> Replicas)
    {
        public IReadOnlyList<ContainerListResponse> Running => [.. Containers.Where(c => c.State == "running")];
    }
}
