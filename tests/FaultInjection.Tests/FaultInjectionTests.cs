using Xunit.Abstractions;

namespace Workers.FaultInjection.Tests;

/// <summary>
/// The proof of issue 5: many deployments through the real broker, store, functions hosts and agents on the real
/// Docker engine while agents are SIGKILLed mid-start, the broker and a functions host restart and messages arrive
/// twice; then Docker's own view must show nothing lost, nothing running twice, nothing orphaned and no port bound twice.
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
        await scenario.RunAsync();

        // Settling takes the deadlines their time (a lost host's replicas, orphans after their grace): poll, then judge.
        AuditResult? audit = null;
        var reported = DateTimeOffset.UtcNow;
        try
        {
            await Poll.UntilAsync(
                async () =>
                {
                    audit = await ClusterAudit.RunAsync(cluster.Docker, cluster.Store, cluster.HostIds, scenario.Record, CancellationToken.None);
                    if (DateTimeOffset.UtcNow - reported > TimeSpan.FromSeconds(20))
                    {
                        reported = DateTimeOffset.UtcNow;
                        Detail($"converging: lost={audit.Lost} duplicates={audit.Duplicates} orphans={audit.Orphans} port_conflicts={audit.PortConflicts}; {audit.States}");
                    }

                    return audit;
                },
                a => a.Clean,
                ConvergenceDeadline,
                "convergence",
                TimeSpan.FromSeconds(1));
        }
        catch (TimeoutException)
        {
            // Judged below on the last audit, with every problem listed.
        }

        Assert.NotNull(audit);
        Detail($"final states: {audit.States}");
        foreach (var problem in audit.Problems)
        {
            Detail(problem);
        }

        var deployments = scenario.Record.Requests.Count;
        Say($"deployments={deployments} faults={scenario.FaultsInjected} rollouts={sampler.Rollouts} rollout_faults={scenario.RolloutFaults} lost={audit.Lost} duplicates={audit.Duplicates} orphans={audit.Orphans} port_conflicts={audit.PortConflicts} below_floor={sampler.BelowFloor} (of {sampler.Samples} samples; {sampler.Dips} dips a fault caused)");
        Assert.True(audit.Clean, $"the cluster did not converge within {ConvergenceDeadline.TotalMinutes:0} minutes (seed {seed}, logs in {cluster.LogDirectory}):\n{string.Join("\n", audit.Problems)}");
        Assert.True(deployments >= 50, $"only {deployments} deployments ran; the proof needs at least 50");
        Assert.True(scenario.FaultsInjected >= 20, $"only {scenario.FaultsInjected} faults were injected; the proof needs at least 20");
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
