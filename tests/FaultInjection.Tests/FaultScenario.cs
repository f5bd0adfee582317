using System.Collections.Concurrent;
using System.Diagnostics;
using Workers.Contracts.Messages;

namespace Workers.FaultInjection.Tests;

/// <summary>
/// Drives the cluster through deployments, redeploys and deletes while injecting faults, all chosen from one seed:
/// an agent SIGKILLed right after a deployment is published (back before or after the host timeout), the whole
/// broker cluster restarted mid-deployment, one of its three nodes SIGKILLed mid-deployment (the deployment must
/// complete on the survivors) and later started again to rejoin, a functions host killed and started again, a deployment request published
/// twice, and a start command delivered to its host twice.
/// </summary>
internal sealed class FaultScenario(FaultCluster cluster, int seed, Action<string> log, RolloutSampler sampler)
{
    /// <summary>How long every agent may take to be heard again after a broker node is lost (MassTransit's reconnect back-off, on a loaded machine).</summary>
    private static readonly TimeSpan ReconnectDeadline = TimeSpan.FromSeconds(120);

    /// <summary>
    /// How long the deployment in flight may take to settle once every agent is heard again after a broker node is
    /// lost: a replica whose start or host was lost meanwhile is replaced after the start deadline (or the host timeout),
    /// within the command's time to live, and then started (30 s on a loaded machine).
    /// </summary>
    private static readonly TimeSpan SettleAfterReconnect = FaultCluster.StartDeadline + FaultCluster.HostTimeout + FaultCluster.CommandTimeToLive + TimeSpan.FromSeconds(30);

    /// <summary>Deployment requests in a run: <c>WORKERS_FAULT_DEPLOYMENTS</c>, 56 by default (more for a nightly soak).</summary>
    public static int Deployments { get; } = Setting("WORKERS_FAULT_DEPLOYMENTS", 56, min: 50);

    /// <summary>Faults scheduled in a run: <c>WORKERS_FAULT_FAULTS</c>, 26 by default, dealt out in <see cref="Mix"/>'s proportions.</summary>
    public static int FaultCount { get; } = Setting("WORKERS_FAULT_FAULTS", 26, min: 20);

    /// <summary>Deletes among the operations: one for every seven deployments.</summary>
    public static int Deletes => Deployments / 7;

    private enum Fault
    {
        AgentShortOutage,
        AgentLongOutage,
        BrokerRestart,
        BrokerNodeLoss,
        FunctionsRestart,
        DuplicateRequest,
        DuplicateStart,
    }

    /// <summary>
    /// One round of faults, 27 in all (the default run takes the first 26 of a shuffled deal); a run deals out <see cref="FaultCount"/> of them round after round. More are
    /// scheduled than the 20 the suite needs to see take effect: a kill of a process already gone, or a resent start
    /// whose time to live ran out first, does not count.
    /// </summary>
    private static readonly (Fault Fault, int Count)[] Mix =
    [
        (Fault.AgentShortOutage, 5),
        (Fault.AgentLongOutage, 4),
        (Fault.BrokerRestart, 2),
        (Fault.BrokerNodeLoss, 2),
        (Fault.FunctionsRestart, 4),
        (Fault.DuplicateRequest, 5),
        (Fault.DuplicateStart, 5),
    ];

    private readonly ConcurrentDictionary<Fault, int> _observed = new();
    private readonly Random _random = new(seed);
    private readonly List<ScenarioRequest> _requests = [];
    private readonly Dictionary<string, List<Guid>> _byName = new(StringComparer.Ordinal);
    private readonly Dictionary<Guid, int> _replicas = [];
    private readonly Dictionary<Guid, (string Text, int MaxUnavailable)> _specs = [];
    private readonly HashSet<Fault> _hitRollout = [];
    private readonly HashSet<string> _deleted = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _fixedPort = new(StringComparer.Ordinal);
    private readonly string _prefix = $"f{seed % 10000:0000}";
    private Task _agentBack = Task.CompletedTask;
    private Task _functionsBack = Task.CompletedTask;

    /// <summary>Faults the scenario set out to inject.</summary>
    public int FaultsScheduled { get; private set; }

    /// <summary>Faults seen to take effect: the process exited (and the agent was heard again), the broker restarted and answered, the duplicate was consumed.</summary>
    public int FaultsObserved => _observed.Values.Sum();

    /// <summary>Observed broker restarts: the faults that may justify a rejected request (planned while no agent was heard).</summary>
    public int BrokerRestarts => _observed.GetValueOrDefault(Fault.BrokerRestart) + _observed.GetValueOrDefault(Fault.BrokerNodeLoss);

    /// <summary>Observed faults that stop a process (agents, broker, functions): the ones that may justify a failed or rolled-back request.</summary>
    public int ProcessFaults => _observed.Where(o => o.Key is not (Fault.DuplicateRequest or Fault.DuplicateStart)).Sum(o => o.Value);

    /// <summary>Agent kills that hit a host holding a pending replica of the deployment in flight.</summary>
    public int KillsInFlight { get; private set; }

    /// <summary>Start commands delivered again within their time to live and answered by the agent.</summary>
    public int DuplicateStarts => _observed.GetValueOrDefault(Fault.DuplicateStart);

    /// <summary>Observed losses of one broker node: killed, the deployment in flight completed on the survivors, the node rejoined.</summary>
    public int BrokerNodeLosses => _observed.GetValueOrDefault(Fault.BrokerNodeLoss);

    /// <summary>Observed faults by kind, for the log.</summary>
    public string ObservedByKind => string.Join(" ", _observed.OrderBy(o => o.Key).Select(o => $"{o.Key}={o.Value}"));

    /// <summary>Faults injected while a rollout was under way (a redeploy's waves in flight).</summary>
    public int RolloutFaults { get; private set; }

    /// <summary>The replica count and maxUnavailable a request asked for, for the rollout sampler.</summary>
    public (int Replicas, int MaxUnavailable)? PolicyOf(Guid id) =>
        _replicas.TryGetValue(id, out var replicas) && _specs.TryGetValue(id, out var spec) ? (replicas, spec.MaxUnavailable) : null;

    public ScenarioRecord Record => new(_requests, _deleted);

    public async Task RunAsync()
    {
        // Operations: the deployments (new names first, then new names and redeploys mixed) and the deletes.
        var operations = Enumerable.Repeat('d', Deployments).Concat(Enumerable.Repeat('x', Deletes)).ToArray();
        _random.Shuffle(operations.AsSpan(4));
        var round = Mix.SelectMany(f => Enumerable.Repeat(f.Fault, f.Count)).ToArray();
        var faults = Enumerable.Range(0, FaultCount).Select(i => round[i % round.Length]).ToArray();
        _random.Shuffle(faults);

        // Each fault follows a distinct deployment, so that it lands while that deployment is in flight.
        var deploySlots = Enumerable.Range(0, operations.Length).Where(i => operations[i] == 'd' && i >= 3).ToArray();
        _random.Shuffle(deploySlots);
        if (faults.Length > deploySlots.Length)
        {
            throw new InvalidOperationException($"{faults.Length} faults need as many deployments to follow, and the run has {deploySlots.Length}: raise WORKERS_FAULT_DEPLOYMENTS");
        }

        var faultAt = deploySlots.Take(faults.Length).Select((slot, i) => (slot, fault: faults[i])).ToDictionary(x => x.slot, x => x.fault);

        var clock = Stopwatch.StartNew();
        var names = 0;
        for (var i = 0; i < operations.Length; i++)
        {
            var live = _byName.Keys.Where(n => !_deleted.Contains(n)).Order(StringComparer.Ordinal).ToList();
            Guid? published = null;
            if (operations[i] == 'x' && live.Count > 3)
            {
                await DeleteAsync(live[_random.Next(live.Count)]);
            }
            else
            {
                // The first fault of each kind that stops or restarts something lands on a rollout: a redeploy.
                var rolloutFault = faultAt.TryGetValue(i, out var planned) && planned is not (Fault.DuplicateRequest or Fault.DuplicateStart) && !_hitRollout.Contains(planned);
                var redeploy = live.Count > 3 && (rolloutFault || _random.Next(4) == 0);
                var name = redeploy ? await RedeployTargetAsync(live) : $"{_prefix}-{names++:00}";
                if (!redeploy && _random.Next(4) == 0 && FreeFixedPort() is { } port)
                {
                    _fixedPort[name] = port;
                }

                // A fixed host port binds one replica per host: such a name runs one replica.
                var replicas = 1 + _random.Next(3);
                published = await DeployAsync(name, _fixedPort.ContainsKey(name) ? 1 : replicas);
            }

            if (faultAt.TryGetValue(i, out var fault) && published is { } id)
            {
                if (!_hitRollout.Contains(fault) && await RollingOutAsync(id))
                {
                    _hitRollout.Add(fault);
                }

                if (await ReadAsync(sampler.RollingAsync, "whether a rollout is under way"))
                {
                    RolloutFaults++;
                }

                await InjectAsync(fault, id);
            }

            // The pace of the scenario: a deliberate gap between operations, not a wait for anything.
            await Task.Delay(TimeSpan.FromMilliseconds(150 + _random.Next(450)));
        }

        await Task.WhenAll(_agentBack, _functionsBack);
        log($"scenario done in {clock.Elapsed.TotalSeconds:0}s: {_requests.Count} deployment requests, {_deleted.Count} deletes, {FaultsObserved} of {FaultsScheduled} faults observed ({ObservedByKind})");
    }

    /// <summary>
    /// A name to deploy again: one whose current revision runs, so that the redeploy is a rollout over serving
    /// replicas (the one the sampler watches); any live name when none runs yet.
    /// </summary>
    private async Task<string> RedeployTargetAsync(IReadOnlyList<string> live)
    {
        var running = (await ReadAsync(() => cluster.Store.GetCurrentRevisionsAsync(null, CancellationToken.None), "the current revisions"))
            .Where(r => r.State == DeploymentState.Running && r.Name is not null && live.Contains(r.Name))
            .Select(r => r.Name!)
            .Order(StringComparer.Ordinal)
            .ToList();
        var from = running.Count > 0 ? running : live;
        return from[_random.Next(from.Count)];
    }

    /// <summary>Until request <paramref name="id"/>'s first wave is placed while an older revision still runs (false when it is not a rollout).</summary>
    private async Task<bool> RollingOutAsync(Guid id)
    {
        try
        {
            var revision = await Poll.UntilAsync(
                async () => await cluster.Store.GetRevisionAsync(id, CancellationToken.None) is { } r && (await cluster.Store.GetReplicasAsync(r.DeploymentId, CancellationToken.None)).Count > 0 ? r : null,
                r => r is not null,
                TimeSpan.FromSeconds(10),
                $"the first wave of {id}");
            return revision is { State: DeploymentState.Pending, Name: { } name }
                && (await ReadAsync(() => cluster.Store.GetLiveRevisionsAsync(name, CancellationToken.None), $"the live revisions of {name}")).Count > 1;
        }
        catch (TimeoutException)
        {
            return false;
        }
    }

    /// <summary>Fixed-port names asked for, by port.</summary>
    public IReadOnlyDictionary<int, int> FixedPortNames => _fixedPort.Values.GroupBy(p => p).ToDictionary(g => g.Key, g => g.Count());

    /// <summary>
    /// A fixed host port with room for one more name, or none. A port takes one replica per host whose bind address
    /// no outsider holds, less one host kept free for a replica whose agent is lost to be placed again; a deleted
    /// name's port is never handed out again (its container may still be stopping). The first two ports are held
    /// outside Workers on one host each, so the planner must place around them, and the third is shared by two names.
    /// </summary>
    private int? FreeFixedPort()
    {
        var open = cluster.FixedPorts
            .Where(port => _fixedPort.Values.Count(p => p == port) < cluster.HostIds.Count - cluster.HeldOutside.Count(h => h.Port == port) - 1)
            .ToList();
        return open.Count == 0 ? null : open[_random.Next(open.Count)];
    }

    private async Task<Guid> DeployAsync(string name, int replicas)
    {
        var id = Guid.NewGuid();
        _requests.Add(new ScenarioRequest(id, name, replicas, TestImages.Workload));
        (_byName.TryGetValue(name, out var ids) ? ids : _byName[name] = []).Add(id);
        await PublishAsync(Request(id, name, replicas));
        return id;
    }

    private async Task DeleteAsync(string name)
    {
        // Deleting a name before its requests were planned would race the plan; the scenario deletes what exists.
        await Poll.UntilAsync(
            async () => await Task.WhenAll(_byName[name].Select(id => cluster.Store.GetRevisionAsync(id, CancellationToken.None))),
            revisions => revisions.All(r => r is not null),
            TimeSpan.FromSeconds(90),
            $"every request of {name} planned");
        _deleted.Add(name);
        await PublishAsync(new DeleteDeployment(Guid.NewGuid(), Guid.NewGuid(), DateTimeOffset.UtcNow, name, "fault-injection"));
    }

    private async Task InjectAsync(Fault fault, Guid deployment)
    {
        var number = ++FaultsScheduled;
        switch (fault)
        {
            case Fault.AgentShortOutage or Fault.AgentLongOutage:
            {
                // One agent down at a time: the previous one must be back first.
                await _agentBack;
                var down = fault == Fault.AgentShortOutage
                    ? TimeSpan.FromSeconds(1.5 + _random.NextDouble())
                    : FaultCluster.HostTimeout + TimeSpan.FromSeconds(3 + (3 * _random.NextDouble()));
                await Task.Delay(TimeSpan.FromMilliseconds(_random.Next(400)));

                // A host that holds a pending replica of the deployment in flight, when there is one.
                var pending = await PendingHostsAsync(deployment);
                var host = pending.Count > 0 ? pending[_random.Next(pending.Count)] : cluster.HostIds[_random.Next(cluster.HostIds.Count)];
                if (!await cluster.KillAgentAsync(host))
                {
                    log($"fault {number}: agent {host} was not running: not counted");
                    break;
                }

                if (pending.Contains(host))
                {
                    KillsInFlight++;
                }

                if (fault == Fault.AgentLongOutage)
                {
                    // Its replicas are lost for real until their replacements are healthy: dips then are the fault's.
                    sampler.Excuse(DateTimeOffset.UtcNow + down + TimeSpan.FromSeconds(30));
                }

                log($"fault {number}: SIGKILL agent {host} after publishing {deployment}{(pending.Contains(host) ? ", which holds a pending replica of it" : string.Empty)}, exit seen, back in {down.TotalSeconds:0.0}s");
                _agentBack = AgentBackAsync(fault, number, host, down);
                break;
            }

            case Fault.BrokerRestart:
            {
                log($"fault {number}: broker restart while {deployment} is in flight");
                var clock = Stopwatch.StartNew();
                var restarted = await cluster.RestartBrokerAsync();
                log($"  broker {(restarted ? "restarted and" : "NOT restarted (same start time) but")} answering after {clock.Elapsed.TotalSeconds:0.0}s");

                // The pause before the next operation: until every agent is heard again (MassTransit reconnects with
                // back-off), so that later requests test the pipeline rather than the outage.
                await cluster.WaitForHeartbeatsAsync(TimeSpan.FromSeconds(120));
                log($"  every agent heard again after {clock.Elapsed.TotalSeconds:0.0}s");
                if (restarted)
                {
                    Observe(fault);
                }

                break;
            }

            case Fault.BrokerNodeLoss:
            {
                // One node of the three-node cluster SIGKILLed while a deployment is in flight: every client
                // reconnects to a survivor and the deployment completes; the node then restarts and rejoins.
                var node = _random.Next(cluster.BrokerNodes.Count);
                var clock = Stopwatch.StartNew();
                var killedAt = DateTimeOffset.UtcNow;
                if (!await cluster.KillBrokerNodeAsync(node))
                {
                    log($"fault {number}: broker node {cluster.BrokerNodes[node]} was not running: not counted");
                    break;
                }

                log($"fault {number}: SIGKILL broker node {cluster.BrokerNodes[node]} while {deployment} is in flight, exit seen");
                sampler.Excuse(DateTimeOffset.UtcNow + TimeSpan.FromSeconds(30));
                // The reconnect: every agent publishes again and the functions consume again, through the survivors.
                await cluster.WaitForHeartbeatsSinceAsync(killedAt, ReconnectDeadline);
                var reconnected = clock.Elapsed;
                log($"  every agent heard through the survivors after {reconnected.TotalSeconds:0.0}s");
                // Then the deployment settles within what its own deadlines allow, not the node's absence: its revision
                // decided (a request can be rejected, or name the spec that already runs and make no revision of its own)
                // and none of its replicas pending. A start that went down with the node, or a host declared down while its
                // agent reconnected, is replaced after the start deadline or the host timeout and its replacement started.
                var settled = await Poll.UntilAsync(
                    async () => (Revision: await cluster.Store.GetRevisionAsync(deployment, CancellationToken.None), Replicas: await cluster.Store.GetReplicasAsync(deployment, CancellationToken.None)),
                    s => s.Revision is { } revision && (revision.State != DeploymentState.Pending || s.Replicas.Count > 0) && s.Replicas.All(x => x.State != ReplicaState.Pending),
                    SettleAfterReconnect,
                    $"{deployment} settled (its revision decided, no pending replica) within {SettleAfterReconnect.TotalSeconds:0}s of the reconnect while {cluster.BrokerNodes[node]} is down");
                log($"  {deployment} settled with the node down after {clock.Elapsed.TotalSeconds:0.0}s ({(clock.Elapsed - reconnected).TotalSeconds:0.0}s after the reconnect): {settled.Revision!.State}, replicas {string.Join(", ", settled.Replicas.Select(r => r.State).Distinct())}");
                var rejoined = await cluster.StartBrokerNodeAsync(node);
                log($"  broker node {cluster.BrokerNodes[node]} {(rejoined ? "restarted and rejoined the cluster" : "NOT listed running")} after {clock.Elapsed.TotalSeconds:0.0}s");
                if (rejoined)
                {
                    Observe(fault);
                }

                break;
            }

            case Fault.FunctionsRestart:
            {
                await _functionsBack;
                var index = _random.Next(cluster.FunctionsCount);
                var down = TimeSpan.FromSeconds(1 + (3 * _random.NextDouble()));
                if (!await cluster.KillFunctionsAsync(index))
                {
                    log($"fault {number}: functions-{index} was not running: not counted");
                    break;
                }

                log($"fault {number}: SIGKILL functions-{index} after publishing {deployment}, exit seen, back in {down.TotalSeconds:0.0}s");
                _functionsBack = FunctionsBackAsync(number, index, down);
                break;
            }

            case Fault.DuplicateRequest:
            {
                // The very same request again (same CorrelationId), now or once the first may have been planned.
                var later = _random.Next(2) == 0;
                if (later)
                {
                    await Task.Delay(TimeSpan.FromSeconds(1 + _random.NextDouble()));
                }

                var name = _requests.Single(r => r.Id == deployment).Name;
                log($"fault {number}: request {deployment} ({name}) published again{(later ? " a little later" : string.Empty)}");
                await PublishAsync(new DeploymentRequested(deployment, deployment, DateTimeOffset.UtcNow, _specs[deployment].Text, $"{name}.yaml", "fault-injection"));

                // Taken effect once the functions validated the request a second time (each validation publishes
                // DeploymentAccepted again).
                if (await ObservedAsync(() => cluster.Events.Count(e => e.Message is DeploymentAccepted && e.CorrelationId == deployment) >= 2, $"request {deployment} validated twice"))
                {
                    Observe(fault);
                }

                break;
            }

            case Fault.DuplicateStart:
            {
                // A start command its host already got, delivered once more within its time to live (an expired one
                // is refused before the engine is asked, and proves nothing about "twice is one container"): the
                // deployment in flight's, or the freshest one captured.
                var margin = FaultCluster.CommandTimeToLive / 3;
                StartReplicas? command = null;
                try
                {
                    command = await Poll.UntilAsync(
                        () => Task.FromResult(cluster.CapturedStarts.Where(c => c.ExpiresAt - DateTimeOffset.UtcNow > margin).OrderByDescending(c => c.CorrelationId == deployment).ThenByDescending(c => c.ExpiresAt).FirstOrDefault()),
                        c => c is not null,
                        TimeSpan.FromSeconds(20),
                        "a captured start command still within its time to live");
                }
                catch (TimeoutException)
                {
                    log($"fault {number}: no start command within its time to live to send again: not counted");
                    break;
                }

                var before = Results(command!);
                var left = command!.ExpiresAt - DateTimeOffset.UtcNow;
                log($"fault {number}: start of {command.Spec.Name} r{command.Revision} replicas [{string.Join(",", command.Replicas.Select(r => r.Index))}] sent to {command.HostId} again, {left.TotalSeconds:0.0}s before it expires");
                await RetryAsync(token => cluster.SendToHostAsync(command.HostId, command, token), "resend of a start command");

                // Taken effect once the agent answered the copy too: one more result for each of its replicas, none
                // of them a refusal as expired.
                if (await ObservedAsync(() => Results(command).Count >= before.Count + command.Replicas.Count, $"the agent's answers to the resent start of {command.Spec.Name} r{command.Revision}"))
                {
                    var answers = Results(command).Skip(before.Count).ToList();
                    var expired = answers.OfType<ReplicaFailed>().Where(f => f.Reason.Contains("expired", StringComparison.Ordinal)).ToList();
                    log($"  answered: {string.Join("; ", answers.Select(a => a is ReplicaFailed f ? $"failed #{f.Index}: {f.Reason}" : $"started #{((ReplicaStarted)a).Index}"))}");
                    if (expired.Count == 0)
                    {
                        Observe(fault);
                    }
                }

                break;
            }
        }
    }

    /// <summary>The agent's results (started or failed) for the replicas of <paramref name="command"/> on its host, in the order seen.</summary>
    private List<object> Results(StartReplicas command) =>
        [.. cluster.Events.Select(e => e.Message).Where(m => m switch
        {
            ReplicaStarted s => s.CorrelationId == command.CorrelationId && s.HostId == command.HostId && s.Revision == command.Revision && command.Replicas.Any(r => r.Index == s.Index),
            ReplicaFailed f => f.CorrelationId == command.CorrelationId && f.HostId == command.HostId && f.Revision == command.Revision && command.Replicas.Any(r => r.Index == f.Index),
            _ => false,
        })];

    private async Task<IReadOnlyList<string>> PendingHostsAsync(Guid deployment)
    {
        try
        {
            var replicas = await Poll.UntilAsync(
                () => cluster.Store.GetReplicasAsync(deployment, CancellationToken.None),
                r => r.Count > 0,
                TimeSpan.FromSeconds(5),
                $"the plan of {deployment}");
            return [.. replicas.Where(r => r.State == ReplicaState.Pending).Select(r => r.HostId).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)];
        }
        catch (TimeoutException)
        {
            return [];
        }
    }

    /// <summary>The killed agent started again, counted once a heartbeat it sent after the start reaches the store.</summary>
    private async Task AgentBackAsync(Fault fault, int number, string host, TimeSpan down)
    {
        await Task.Delay(down);
        cluster.StartAgent(host);
        try
        {
            await cluster.WaitForAgentHeardAsync(host, TimeSpan.FromSeconds(120));
            log($"  fault {number}: agent {host} heard again");
            Observe(fault);
        }
        catch (TimeoutException e)
        {
            log($"  fault {number}: agent {host} not heard again: not counted ({e.Message})");
        }
    }

    private async Task FunctionsBackAsync(int number, int index, TimeSpan down)
    {
        await Task.Delay(down);
        cluster.StartFunctions(index);
        if (cluster.FunctionsRunning(index))
        {
            Observe(Fault.FunctionsRestart);
        }
        else
        {
            log($"  fault {number}: functions-{index} did not start again: not counted");
        }
    }

    /// <summary>
    /// One read of the store by the test itself, made again while it throws (a starved PostgreSQL times out opening a
    /// connection on a loaded machine; the functions retry theirs the same way), up to a deadline.
    /// </summary>
    private static Task<T> ReadAsync<T>(Func<Task<T>> read, string what) => Poll.UntilAsync(read, _ => true, TimeSpan.FromSeconds(90), what, TimeSpan.FromSeconds(1));

    private async Task<bool> ObservedAsync(Func<bool> seen, string what)
    {
        try
        {
            await Poll.UntilAsync(() => Task.FromResult(seen()), s => s, TimeSpan.FromSeconds(30), what);
            return true;
        }
        catch (TimeoutException e)
        {
            log($"  not observed, not counted: {e.Message}");
            return false;
        }
    }

    private void Observe(Fault fault) => _observed.AddOrUpdate(fault, 1, (_, n) => n + 1);

    /// <summary>
    /// A request whose spec is new (its version is the request id), so that every redeploy is a real rollout, with a
    /// health check the agents probe and an update policy drawn from the seed.
    /// </summary>
    private DeploymentRequested Request(Guid id, string name, int replicas)
    {
        _replicas[id] = replicas;
        var maxUnavailable = _random.Next(2);
        var maxSurge = maxUnavailable == 0 ? 1 + _random.Next(2) : _random.Next(3);
        var hostPort = _fixedPort.TryGetValue(name, out var port) ? $"\n    host: {port}" : string.Empty;
        var spec = $"""
            name: {name}
            image: {TestImages.Workload}
            replicas: {replicas}
            env:
              VERSION: "{id:N}"
            ports:
              - container: 8080{hostPort}
            resources:
              memory: 16Mi
            healthCheck:
              http:
                port: 8080
                path: /healthz
              interval: 1s
              timeout: 800ms
              retries: 3
            update:
              maxUnavailable: {maxUnavailable}
              maxSurge: {maxSurge}
              minReady: 1s

            """;
        _specs[id] = (spec, maxUnavailable);
        return new DeploymentRequested(id, id, DateTimeOffset.UtcNow, spec, $"{name}.yaml", "fault-injection");
    }

    private Task PublishAsync(object message) =>
        RetryAsync(token => cluster.Bus.Publish(message, message.GetType(), token), $"publish of {message.GetType().Name}");

    /// <summary>
    /// A client's retry: while the broker restarts a publish can fail; sending again is safe because every message
    /// carries the id that makes it idempotent.
    /// </summary>
    private async Task RetryAsync(Func<CancellationToken, Task> send, string what)
    {
        var deadline = DateTimeOffset.UtcNow + TimeSpan.FromSeconds(120);
        while (true)
        {
            using var attempt = new CancellationTokenSource(TimeSpan.FromSeconds(15));
            try
            {
                await send(attempt.Token);
                return;
            }
            catch (Exception e) when (e is not OutOfMemoryException && DateTimeOffset.UtcNow < deadline)
            {
                log($"  {what} failed ({e.GetType().Name}: {e.Message}); trying again");
                await Task.Delay(TimeSpan.FromMilliseconds(500));
            }
        }
    }

    private static int Setting(string name, int fallback, int min)
    {
        var text = Environment.GetEnvironmentVariable(name);
        if (string.IsNullOrEmpty(text))
        {
            return fallback;
        }

        return int.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var value) && value >= min
            ? value
            : throw new InvalidOperationException($"{name}={text}: a whole number of at least {min} (the suite's proof needs as many)");
    }
}
