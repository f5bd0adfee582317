using Workers.Contracts.Messages;
using Workers.Contracts.Spec;
using Workers.Functions.Planning;
using Workers.Functions.Tests.Support;

namespace Workers.Functions.Tests.Planning;

public sealed class PlannerTests
{
    private const long Gi = 1L << 30;
    private const long Mi = 1L << 20;

    internal static HostCandidate Host(
        string id,
        long cpu = 4000,
        long memory = 8 * Gi,
        bool live = true,
        IReadOnlyDictionary<string, string>? labels = null,
        params (int Port, Protocol Protocol)[] taken) =>
        new(HostId.From(id), labels ?? new Dictionary<string, string>(), live, cpu, memory, taken.ToHashSet());

    private static Dictionary<string, int> CountByHost(PlacementResult result) =>
        result.Placements.GroupBy(p => p.HostId).ToDictionary(g => g.Key, g => g.Count());

    [Fact]
    public void Plan_FourReplicasOnTwoHosts_PlacesTwoOnEach()
    {
        var result = Planner.Plan(Specs.Make("web", 4), [Host("host-a"), Host("host-b")]);

        Assert.True(result.Succeeded, result.Reason);
        Assert.Equal([0, 1, 2, 3], result.Placements.Select(p => p.Index).Order());
        Assert.Equal(new Dictionary<string, int> { ["host-a"] = 2, ["host-b"] = 2 }, CountByHost(result));
    }

    [Fact]
    public void Plan_HostsEquallySuitable_TheLeastLoadedGoFirstWhateverTheirNames()
    {
        var hosts = new[] { Host("host-a") with { Replicas = 7 }, Host("host-b") with { Replicas = 0 }, Host("host-c") with { Replicas = 3 } };

        var result = Planner.Plan(Specs.Make("web", 2), hosts);

        Assert.True(result.Succeeded, result.Reason);
        Assert.Equal(new Dictionary<string, int> { ["host-b"] = 1, ["host-c"] = 1 }, CountByHost(result));
    }

    [Fact]
    public void Plan_HostLacksRequiredLabel_IsExcluded()
    {
        var spec = Specs.Make("web", 3, "placement:\n  labels: { zone: eu-1 }\n");
        var hosts = new[]
        {
            Host("host-a", labels: new Dictionary<string, string> { ["zone"] = "eu-1" }),
            Host("host-b", labels: new Dictionary<string, string> { ["zone"] = "us-1" }),
            Host("host-c"),
        };

        var result = Planner.Plan(spec, hosts);

        Assert.True(result.Succeeded, result.Reason);
        Assert.All(result.Placements, p => Assert.Equal("host-a", p.HostId));
        Assert.Equal(3, result.Placements.Count);
    }

    [Fact]
    public void Plan_NoHostHasRequiredLabel_ReasonNamesTheLabelForEachHost()
    {
        var spec = Specs.Make("web", 1, "placement:\n  labels: { zone: eu-1 }\n");
        var hosts = new[] { Host("host-b", labels: new Dictionary<string, string> { ["zone"] = "us-1" }), Host("host-c") };

        var result = Planner.Plan(spec, hosts);

        Assert.False(result.Succeeded);
        Assert.Contains("host-b: lacks label zone=eu-1 (has us-1)", result.Reason, StringComparison.Ordinal);
        Assert.Contains("host-c: lacks label zone=eu-1 (missing)", result.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Plan_PlacementHosts_UsesOnlyTheListedHosts()
    {
        var spec = Specs.Make("web", 4, "placement:\n  hosts: [host-b, host-c]\n");

        var result = Planner.Plan(spec, [Host("host-a"), Host("host-b"), Host("host-c")]);

        Assert.True(result.Succeeded, result.Reason);
        Assert.Equal(new Dictionary<string, int> { ["host-b"] = 2, ["host-c"] = 2 }, CountByHost(result));
    }

    [Fact]
    public void Plan_OnlyUnlistedHosts_ReasonSaysNotInPlacementHosts()
    {
        var spec = Specs.Make("web", 1, "placement:\n  hosts: [host-z]\n");

        var result = Planner.Plan(spec, [Host("host-a")]);

        Assert.False(result.Succeeded);
        Assert.Contains("host-a: not in placement.hosts", result.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Plan_HostNotLive_IsSkipped()
    {
        var result = Planner.Plan(Specs.Make("web", 3), [Host("host-a", live: false), Host("host-b")]);

        Assert.True(result.Succeeded, result.Reason);
        Assert.All(result.Placements, p => Assert.Equal("host-b", p.HostId));
    }

    [Fact]
    public void Plan_OnlyDownHosts_FailsSayingNoRecentHeartbeat()
    {
        var result = Planner.Plan(Specs.Make("web", 1), [Host("host-a", live: false)]);

        Assert.False(result.Succeeded);
        Assert.Contains("host-a: no recent heartbeat", result.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Plan_FixedHostPortAndMoreReplicasThanHosts_FailsAtTheThirdReplica()
    {
        var spec = Specs.Make("web", 4, "ports:\n  - container: 8080\n    host: 18080\n");

        var result = Planner.Plan(spec, [Host("host-a"), Host("host-b")]);

        Assert.False(result.Succeeded);
        Assert.StartsWith("cannot place replica 3 of 4", result.Reason, StringComparison.Ordinal);
        Assert.Contains("host port 18080/tcp in use", result.Reason, StringComparison.Ordinal);
        Assert.Empty(result.Placements);
    }

    [Fact]
    public void Plan_FixedHostPortOneReplicaPerHost_NeverSharesAPortOnAHost()
    {
        var spec = Specs.Make("web", 2, "ports:\n  - container: 8080\n    host: 18080\n");

        var result = Planner.Plan(spec, [Host("host-a"), Host("host-b")]);

        Assert.True(result.Succeeded, result.Reason);
        Assert.Equal(["host-a", "host-b"], result.Placements.Select(p => p.HostId).Order());
        Assert.All(result.Placements, p => Assert.Equal(new PortBinding(8080, 18080, Protocol.Tcp), Assert.Single(p.Ports)));
    }

    [Fact]
    public void Plan_HostWithTooLittleMemory_GetsNothingAndTheOtherTakesAll()
    {
        var spec = Specs.Make("web", 3, "resources:\n  memory: 256Mi\n");

        var result = Planner.Plan(spec, [Host("host-a", memory: 200 * Mi), Host("host-b", memory: 1 * Gi)]);

        Assert.True(result.Succeeded, result.Reason);
        Assert.All(result.Placements, p => Assert.Equal("host-b", p.HostId));
    }

    [Fact]
    public void Plan_MemoryRunsOut_ReasonSaysNotEnoughMemory()
    {
        var spec = Specs.Make("web", 3, "resources:\n  memory: 256Mi\n");

        var result = Planner.Plan(spec, [Host("host-a", memory: 600 * Mi)]);

        Assert.False(result.Succeeded);
        Assert.StartsWith("cannot place replica 3 of 3", result.Reason, StringComparison.Ordinal);
        Assert.Contains("host-a: not enough memory (needs 256Mi, 88Mi free)", result.Reason, StringComparison.Ordinal);
        Assert.Empty(result.Placements);
    }

    [Fact]
    public void Plan_CpuRunsOut_ReasonSaysNotEnoughCpu()
    {
        var spec = Specs.Make("web", 2, "resources:\n  cpu: 500m\n");

        var result = Planner.Plan(spec, [Host("host-a", cpu: 700), Host("host-b", cpu: 300)]);

        Assert.False(result.Succeeded);
        Assert.StartsWith("cannot place replica 2 of 2", result.Reason, StringComparison.Ordinal);
        Assert.Contains("host-a: not enough CPU (needs 500m, 200m free)", result.Reason, StringComparison.Ordinal);
        Assert.Contains("host-b: not enough CPU (needs 500m, 300m free)", result.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Plan_DynamicPorts_AreFreeDistinctAndInTheRange()
    {
        var spec = Specs.Make("web", 3, "ports:\n  - container: 8080\n  - container: 5353\n    protocol: udp\n");
        var first = Planner.Plan(spec, [Host("host-a")]);
        var taken = first.Placements.SelectMany(p => p.Ports).Select(b => (b.HostPort, b.Protocol)).ToArray();
        var host = Host("host-a", taken: taken);

        var result = Planner.Plan(spec, [host]);

        Assert.True(result.Succeeded, result.Reason);
        var bindings = result.Placements.SelectMany(p => p.Ports).ToList();
        Assert.Equal(6, bindings.Select(b => (b.HostPort, b.Protocol)).Distinct().Count());
        Assert.All(bindings, b => Assert.DoesNotContain((b.HostPort, b.Protocol), taken));
        Assert.All(bindings, b => Assert.InRange(b.HostPort, Planner.DynamicPortMin, Planner.DynamicPortMax));
        Assert.All(bindings, b => Assert.Equal(b.Protocol == Protocol.Tcp ? 8080 : 5353, b.ContainerPort));
    }

    [Fact]
    public void Plan_ManyReplicasOnOneHost_EveryHostPortAssignedOnceBeyondTheFewKeptInline()
    {
        // 12 replicas with two dynamic ports on one host: the plan's own record of the ports it assigned moves from its
        // inline few to a set part way, and no port may be given twice on either side of that; nor a fixed port twice.
        var spec = Specs.Make("web", 12, "ports:\n  - container: 8080\n  - container: 9090\n  - container: 53\n    host: 20005\n    protocol: udp\n");
        var host = Host("host-a", taken: [(Planner.DynamicPortMin + 1, Protocol.Tcp)]);

        var many = Planner.Plan(Specs.Make("web", 12, "ports:\n  - container: 8080\n  - container: 9090\n"), [host]);

        Assert.True(many.Succeeded, many.Reason);
        var bindings = many.Placements.SelectMany(p => p.Ports).ToList();
        Assert.Equal(24, bindings.Select(b => (b.HostPort, b.Protocol)).Distinct().Count());
        Assert.DoesNotContain(bindings, b => b.HostPort == Planner.DynamicPortMin + 1);
        var refused = Planner.Plan(spec, [host]);
        Assert.False(refused.Succeeded);
        Assert.Contains("host port 20005/udp in use", refused.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Plan_TwoDeploymentsFromTheSameView_PickDifferentDynamicPortsAndHosts()
    {
        // Plans made side by side see the same hosts; drawing where each starts keeps them off each other's ports.
        var hosts = Enumerable.Range(0, 20).Select(i => Host($"host-{i:00}")).ToArray();

        var one = Planner.Plan(Specs.Make("alpha", 3, "ports:\n  - container: 8080\n"), hosts);
        var two = Planner.Plan(Specs.Make("beta", 3, "ports:\n  - container: 8080\n"), hosts);

        Assert.True(one.Succeeded && two.Succeeded);
        var alpha = one.Placements.Select(p => (p.HostId, p.Ports[0].HostPort)).ToHashSet();
        Assert.DoesNotContain(two.Placements, p => alpha.Contains((p.HostId, p.Ports[0].HostPort)));
        Assert.NotEqual(one.Placements.Select(p => p.HostId).Order(), two.Placements.Select(p => p.HostId).Order());
    }

    [Fact]
    public void Plan_DynamicRangeAlmostFull_FindsTheLastFreePortWhereverTheSearchStarts()
    {
        var free = Planner.DynamicPortMin + 7;
        var taken = Enumerable.Range(Planner.DynamicPortMin, Planner.DynamicPortMax - Planner.DynamicPortMin + 1)
            .Where(p => p != free).Select(p => (p, Protocol.Tcp)).ToArray();

        var result = Planner.Plan(Specs.Make("web", 1, "ports:\n  - container: 8080\n"), [Host("host-a", taken: taken)]);
        var full = Planner.Plan(Specs.Make("web", 2, "ports:\n  - container: 8080\n"), [Host("host-a", taken: taken)]);

        Assert.Equal(free, Assert.Single(result.Placements).Ports[0].HostPort);
        Assert.False(full.Succeeded);
        Assert.Contains("no free host port left in the dynamic range", full.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Plan_FixedPortTakenByAnotherProcess_AvoidsThatHost()
    {
        var spec = Specs.Make("web", 1, "ports:\n  - container: 8080\n    host: 18080\n");

        var result = Planner.Plan(spec, [Host("host-a", taken: (18080, Protocol.Tcp)), Host("host-b")]);

        Assert.True(result.Succeeded, result.Reason);
        Assert.Equal("host-b", Assert.Single(result.Placements).HostId);
    }

    [Fact]
    public void Plan_FixedPortTakenOnUdpOnly_DoesNotBlockTheTcpPort()
    {
        var spec = Specs.Make("web", 1, "ports:\n  - container: 8080\n    host: 18080\n");

        var result = Planner.Plan(spec, [Host("host-a", taken: (18080, Protocol.Udp))]);

        Assert.True(result.Succeeded, result.Reason);
        Assert.Equal("host-a", Assert.Single(result.Placements).HostId);
    }

    [Fact]
    public void Plan_NoHosts_ReasonSaysNoHostsAreKnown()
    {
        var result = Planner.Plan(Specs.Make("web", 2), []);

        Assert.False(result.Succeeded);
        Assert.StartsWith("cannot place replica 1 of 2", result.Reason, StringComparison.Ordinal);
        Assert.Contains("no hosts are known", result.Reason, StringComparison.Ordinal);
        Assert.Empty(result.Placements);
    }

    [Fact]
    public void Plan_SomeReplicasFitButNotAll_ReturnsNoPlacementsAtAll()
    {
        var spec = Specs.Make("web", 5, "resources:\n  cpu: 1\n");

        var result = Planner.Plan(spec, [Host("host-a", cpu: 2000), Host("host-b", cpu: 2000)]);

        Assert.False(result.Succeeded);
        Assert.StartsWith("cannot place replica 5 of 5", result.Reason, StringComparison.Ordinal);
        Assert.Empty(result.Placements);
    }

    [Fact]
    public void Plan_DynamicPortListedBeforeAFixedPortInTheDynamicRange_BindsEachHostPortOnce()
    {
        var spec = Specs.Make("web", 2, "ports:\n  - container: 80\n  - container: 81\n    host: 20000\n");

        var result = Planner.Plan(spec, [Host("host-a"), Host("host-b")]);

        Assert.True(result.Succeeded, result.Reason);
        Assert.All(result.Placements, p =>
        {
            Assert.Equal(2, p.Ports.Select(b => (b.HostPort, b.Protocol)).Distinct().Count());
            Assert.Equal(20000, p.Ports.Single(b => b.ContainerPort == 81).HostPort);
        });
    }
}
