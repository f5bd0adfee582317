using Workers.Contracts.Messages;
using Xunit.Abstractions;

namespace Workers.FaultInjection.Tests;

/// <summary>
/// The proof of issue 5: many deployments through the real broker, store, functions hosts and agents on the real
/// Docker engine while agents are SIGKILLed mid-start, the broker and a functions host restart and messages arrive
/// twice (each fault counted only once seen to take effect); then Docker's own view must show every deployment as the
/// test asked for it, nothing running twice, nothing orphaned and no reserved port held by another, and stay so.
/// </summary>
public sealed class FaultInjectionTests(ITestOutputHelper output)
{
    private static readonly TimeSpan ConvergenceDeadline = TimeSpan.FromMinutes(4);

    private readonly Lock _gate = new();
    private string? _detailsPath;

    [Fact]
    public async Task Deployments_UnderInjectedFaults_AllSettleWithNothingLostDuplicatedOrphanedOrBoundTwice()
    {
        var seed = int.TryParse(Environment.GetEnvironmentVariable("WORKERS_FAULT_SEED"), out var given) ? given : Random.Shared.Next(1, int.MaxValue);
        var suffix = $"{seed:x8}";
        _detailsPath = Path.Combine(FaultCluster.LogDirectoryFor(suffix), "scenario.log");
        Say($"fault-injection seed={seed} (WORKERS_FAULT_SEED={seed} replays this schedule; details in {_detailsPath})");
        await using var cluster = await FaultCluster.StartAsync(suffix, Detail);
        FaultScenario? scenario = null;
        await using var sampler = new RolloutSampler(cluster, id => scenario?.PolicyOf(id), Detail);
        scenario = new FaultScenario(cluster, seed, Detail, sampler);
        sampler.Start();
        try
        {
            await scenario.RunAsync();
        }
        catch (TimeoutException)
        {
            // What each queue held and who read it when the scenario gave up, to tell a stopped consumer from a slow one.
            Detail(await cluster.QueueStateAsync());
            Detail(await cluster.StoreActivityAsync());
            throw;
        }

        // Settling takes the deadlines their time (a lost host's replicas, orphans after their grace): poll, then judge.
        // Converged means clean and staying clean: audits clean for at least the orphan grace plus a sweep interval
        // (an orphan the sweep is about to report would show by then), error queues empty, and every agent heard
        // since its last start.
        var stable = FaultCluster.OrphanGrace + FaultCluster.SweepInterval;
        AuditResult? audit = null;
        IReadOnlyList<string> errorQueues = [];
        IReadOnlyList<string> unheard = [];
        DateTimeOffset? cleanSince = null;
        var cleanAudits = 0;
        var reported = DateTimeOffset.UtcNow;
        var converged = false;
        try
        {
            await Poll.UntilAsync(
                async () =>
                {
                    audit = await ClusterAudit.RunAsync(cluster.Docker, cluster.Store, cluster.HostIds, scenario.Record, new Observations([.. cluster.Events.Select(e => e.Message).OfType<ReplicaFailed>()], cluster.HeldOutside), CancellationToken.None);
                    errorQueues = await cluster.NonEmptyErrorQueuesAsync();
                    unheard = await cluster.AgentsNotHeardSinceStartAsync();
                    var now = DateTimeOffset.UtcNow;
                    if (audit.Clean && errorQueues.Count == 0 && unheard.Count == 0)
                    {
                        cleanSince ??= now;
                        cleanAudits++;
                    }
                    else
                    {
                        cleanSince = null;
                        cleanAudits = 0;
                    }

                    if (now - reported > TimeSpan.FromSeconds(20))
                    {
                        reported = now;
                        Detail($"converging: {audit.Counters}; error queues [{string.Join(", ", errorQueues)}]; not heard since start [{string.Join(", ", unheard)}]; {audit.States}");
                    }

                    return cleanAudits >= 2 && now - cleanSince >= stable;
                },
                done => done,
                ConvergenceDeadline,
                "convergence",
                TimeSpan.FromSeconds(1));
            converged = true;
        }
        catch (TimeoutException)
        {
            // Judged below on the last audit, with every problem listed.
            Detail(await cluster.QueueStateAsync());
            Detail(await cluster.StoreActivityAsync());
        }

        Assert.NotNull(audit);
        Detail($"final states: {audit.States}");
        foreach (var problem in audit.Problems)
        {
            Detail(problem);
        }

        // Quorum queues protect only when replicated: every one must have a member on each of the three nodes.
        var (quorumQueues, shortOfMembers, unreplicated) = await cluster.QuorumQueueMembersAsync();
        Detail($"{quorumQueues} quorum queues on the {cluster.BrokerNodes.Count}-node cluster; short of members: [{string.Join(", ", shortOfMembers)}]; durable queues not quorum: [{string.Join(", ", unreplicated)}]");
        var fixedPorts = scenario.FixedPortNames;
        var onHeldPorts = fixedPorts.Where(p => cluster.HeldOutside.Any(h => h.Port == p.Key)).Sum(p => p.Value);
        var deployments = scenario.Record.Requests.Count;
        Say($"deployments={deployments} faults={scenario.FaultsObserved} (of {scenario.FaultsScheduled} scheduled: {scenario.ObservedByKind}) kills_in_flight={scenario.KillsInFlight} duplicate_starts={scenario.DuplicateStarts} broker_nodes_lost={scenario.BrokerNodeLosses} quorum_queues={quorumQueues} fixed_port_names={fixedPorts.Values.Sum()} (on ports held outside: {onHeldPorts}) rollouts={sampler.Rollouts} rollout_faults={scenario.RolloutFaults} {audit.Counters} below_floor={sampler.BelowFloor} (of {sampler.Samples} samples; {sampler.Dips} dips a fault caused)");
        Assert.True(converged && audit.Clean, $"the cluster did not converge (clean for {stable.TotalSeconds:0}s, error queues empty, every agent heard since its start) within {ConvergenceDeadline.TotalMinutes:0} minutes (seed {seed}, logs in {cluster.LogDirectory}):\nerror queues: [{string.Join(", ", errorQueues)}]\nnot heard since start: [{string.Join(", ", unheard)}]\n{string.Join("\n", audit.Problems)}");

        // A request may end rejected only when planned while no agent was heard (a broker restart or a broker node lost), and failed or
        // rolled back only when a process it depended on was stopped; duplicates justify neither.
        Assert.True(audit.Rejected.Count <= scenario.BrokerRestarts, $"{audit.Rejected.Count} requests were rejected, more than the {scenario.BrokerRestarts} broker restarts that may justify one (seed {seed}):\n{string.Join("\n", audit.Rejected)}");
        Assert.True(audit.Failed.Count <= scenario.ProcessFaults, $"{audit.Failed.Count} requests failed or rolled back, more than the {scenario.ProcessFaults} agent, broker and functions faults that may justify one (seed {seed}):\n{string.Join("\n", audit.Failed)}");
        Assert.True(deployments >= 50, $"only {deployments} deployments ran; the proof needs at least 50");
        Assert.True(scenario.FaultsObserved >= 20, $"only {scenario.FaultsObserved} of {scenario.FaultsScheduled} faults were seen to take effect ({scenario.ObservedByKind}); the proof needs at least 20");
        Assert.True(scenario.KillsInFlight >= 1, "no agent kill hit a host holding a pending replica of the deployment in flight");
        Assert.True(scenario.BrokerNodeLosses >= 1, "no broker node was killed, outlived by the deployment in flight, and seen to rejoin the cluster");
        Assert.True(quorumQueues > 0 && shortOfMembers.Count == 0, $"{shortOfMembers.Count} of {quorumQueues} quorum queues are not replicated on all {cluster.BrokerNodes.Count} nodes: {string.Join(", ", shortOfMembers)}");
        Assert.True(unreplicated.Count == 0, $"durable queues that are not quorum queues live on one node and are lost with it: {string.Join(", ", unreplicated)}");
        Assert.True(!audit.Rejected.Any(r => r.Contains("does not allow host port", StringComparison.Ordinal)), $"a fixed host port the scenario shares was refused by the agents' port policy, so it was never placed (seed {seed}):\n{string.Join("\n", audit.Rejected)}");
        Assert.True(fixedPorts.Values.Sum() >= 2 && onHeldPorts >= 1, $"only {fixedPorts.Values.Sum()} names asked for a fixed host port ({onHeldPorts} on a port held outside Workers); the proof needs 2, one of them on a held port");
        Assert.True(scenario.DuplicateStarts >= 1, "no start command was delivered again within its time to live and answered");
        Assert.True(sampler.BelowFloor == 0, $"{sampler.BelowFloor} samples found Workers stopping a serving replica while fewer answered than the update policy allows (seed {seed}; each is in scenario.log)");
        Assert.True(sampler.Rollouts >= 2, $"only {sampler.Rollouts} rollouts were watched; the proof needs at least 2");
        Assert.True(scenario.RolloutFaults >= 3, $"only {scenario.RolloutFaults} faults hit a rollout in flight; the proof needs at least 3");
    }

    /// <summary>To the test's output and to standard output, so that `dotnet test` shows it.</summary>
    private void Say(string line)
    {
        output.WriteLine(line);
        Console.WriteLine(line);
    }

    /// <summary>To the test's output and to scenario.log beside the process logs.</summary>
    private void Detail(string line)
    {
        var stamped = $"{DateTimeOffset.UtcNow:HH:mm:ss.fff} {line}";
        output.WriteLine(stamped);
        lock (_gate)
        {
            File.AppendAllLines(_detailsPath!, [stamped]);
        }
    }
}
