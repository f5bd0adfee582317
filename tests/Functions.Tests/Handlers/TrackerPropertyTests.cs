using CsCheck;
using Workers.Contracts.Messages;
using Workers.Functions.Handlers;
using Workers.Functions.Tests.Support;

namespace Workers.Functions.Tests.Handlers;

/// <summary>
/// The tracker over generated clusters and generated orders of results: duplicated, reordered and dropped results,
/// the drops caught by the deadline sweep. Whatever the order, the deployment ends running with exactly the desired
/// replicas, each tracked once, and succeeds exactly once.
/// </summary>
public sealed class TrackerPropertyTests
{
    // A long progress deadline: the property is about results in any order, not about giving up on a rollout.
    private const string DynamicPort = "ports:\n  - container: 8080\nupdate:\n  progressDeadline: 24h\n";

    [Fact]
    public void Results_InAnyOrderWithDuplicatesAndDrops_EndRunningWithExactlyTheDesiredReplicas()
    {
        var gen =
            from replicas in Gen.Int[1, 5]
            from hosts in Gen.Int[1, 3]
            from fate in Gen.Int[0, 9].Array[32]
            from order in Gen.Int[0, 1000].Array[32]
            select (replicas, hosts, fate, order);
        gen.Sample(sample => RunAsync(sample.replicas, sample.hosts, sample.fate, sample.order).GetAwaiter().GetResult(), iter: 40, threads: 1);
    }

    private static async Task RunAsync(int desired, int hostCount, int[] fate, int[] order)
    {
        await using var h = await HandlerHarness.CreateAsync();
        var hosts = Enumerable.Range(0, hostCount).Select(i => $"host-{i}").ToList();
        foreach (var host in hosts)
        {
            await h.HeartbeatAsync(host);
        }

        var (id, planned) = await h.DeployAsync(Specs.Make("web", desired, DynamicPort));
        var succeeded = 0;
        var containers = hosts.ToDictionary(host => host, _ => new HashSet<int>());
        var pending = Results(h, planned, containers);
        var draw = 0;
        for (var round = 0; round < 10 && (pending.Count > 0 || round < 2); round++)
        {
            // Deliver this round's results in a generated order; some twice, some never (the deadline catches those).
            var next = new List<object>();
            foreach (var result in pending.OrderBy(_ => order[draw++ % order.Length]))
            {
                var f = fate[draw % fate.Length];
                if (round < 3 && f == 0)
                {
                    continue;
                }

                var times = round < 3 && f == 1 ? 2 : 1;
                for (var i = 0; i < times; i++)
                {
                    var effects = result switch
                    {
                        ReplicaStarted started => await h.Track.HandleAsync(started, CancellationToken.None),
                        ReplicaStopped stopped => await h.Track.HandleAsync(stopped, CancellationToken.None),
                        _ => throw new InvalidOperationException(),
                    };
                    succeeded += effects.PublishedOf<DeploymentSucceeded>().Count;
                    await effects.CompleteAsync(CancellationToken.None);
                    next.AddRange(Results(h, effects, containers));
                }
            }

            // Past every deadline; every host reports what it really runs, then the sweep.
            h.Time.Advance(h.Options.StartDeadline + TimeSpan.FromSeconds(1));
            foreach (var host in hosts)
            {
                // The agents judge what they run healthy; their heartbeats say so even when no health report got through.
                var beat = await h.HeartbeatRunningAsync(host, [.. containers[host].Select(i => new RunningReplica("web", 1, i, $"container-1-{i}", true, h.Time.GetUtcNow(), ReplicaHealth.Healthy))]);
                succeeded += beat.PublishedOf<DeploymentSucceeded>().Count;
                await beat.CompleteAsync(CancellationToken.None);
                next.AddRange(Results(h, beat, containers));
            }

            var swept = await h.Sweep.HandleAsync(CancellationToken.None);
            succeeded += swept.PublishedOf<DeploymentSucceeded>().Count;
            await swept.CompleteAsync(CancellationToken.None);
            next.AddRange(Results(h, swept, containers));
            pending = next;
        }

        var replicas = await h.Store.GetReplicasAsync(id, CancellationToken.None);
        var revision = await h.Store.GetRevisionAsync(id, CancellationToken.None);
        Assert.Equal(DeploymentState.Running, revision!.State);
        Assert.Equal(desired, replicas.Count(r => r.State == ReplicaState.Running));
        Assert.Equal(replicas.Count, replicas.Select(r => r.Index).Distinct().Count());
        // Replaced replicas are lost, or stopped once their late container was removed; nothing else is left over.
        Assert.All(replicas, r => Assert.True(r.State is ReplicaState.Running or ReplicaState.Lost or ReplicaState.Stopped, $"replica {r.Index} is {r.State}"));
        Assert.Equal(1, succeeded);

        // Docker's view of the simulated hosts matches: one container per running replica, none for lost ones.
        Assert.Equal(
            replicas.Where(r => r.State == ReplicaState.Running).Select(r => r.Index).Order(),
            containers.Values.SelectMany(c => c).Order());
    }

    /// <summary>What a well-behaved agent does with each command (its containers) and answers (results may then be lost).</summary>
    private static List<object> Results(HandlerHarness h, Effects effects, Dictionary<string, HashSet<int>> containers)
    {
        var results = new List<object>();
        foreach (var (_, command) in effects.Sent)
        {
            switch (command)
            {
                case StartReplicas start:
                    containers[start.HostId].UnionWith(start.Replicas.Select(r => r.Index));
                    results.AddRange(start.Replicas.Select(r => (object)h.Started(start, r.Index)));
                    break;
                case StopReplicas stop:
                    containers[stop.HostId].ExceptWith(stop.Indexes);
                    results.AddRange(stop.Indexes.Select(i => (object)h.Stopped(stop, i)));
                    break;
            }
        }

        return results;
    }
}
