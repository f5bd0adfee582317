using BenchmarkDotNet.Attributes;
using Workers.Contracts.Messages;
using Workers.Contracts.Spec;
using Workers.Functions.Planning;

namespace Workers.Micro;

/// <summary>
/// One plan: 10 replicas with a dynamic port, CPU and memory limits and a label constraint onto 1,000 hosts, some ports
/// taken on each, each host's agent advertising what it allows (as every agent's heartbeat does).
/// </summary>
[MemoryDiagnoser]
public class PlannerPlan
{
    private DeploymentSpec _spec = null!;
    private List<HostCandidate> _hosts = [];

    [GlobalSetup]
    public void Setup()
    {
        _spec = SpecParser.Parse(
            "name: api\nimage: registry.example.com/team/api:2\nreplicas: 10\nports:\n  - container: 8080\nresources: { cpu: 250m, memory: 128Mi }\nplacement:\n  labels: { zone: eu-1 }\n",
            "api.yaml").Spec ?? throw new InvalidOperationException("the planning spec is not valid");
        var labels = new Dictionary<string, string> { ["zone"] = "eu-1" };
        var allows = new HostAllowances(new HostPortRange(Planner.DynamicPortMin, Planner.DynamicPortMax), [], []);
        _hosts = [.. Enumerable.Range(0, 1000).Select(i => new HostCandidate(
            HostId.From($"host-{i:D4}"),
            labels,
            true,
            4000 - (i % 7 * 250),
            (8L << 30) - (i % 5 * (512L << 20)),
            Enumerable.Range(0, 20).Select(p => (Planner.DynamicPortMin + p, Protocol.Tcp)).ToHashSet(),
            Replicas: i % 3,
            Allows: allows))];
    }

    [Benchmark]
    public IReadOnlyList<ReplicaPlacement> TenReplicasOnto1000Hosts()
    {
        var plan = Planner.Plan(_spec, _hosts);
        return plan.Succeeded ? plan.Placements : throw new InvalidOperationException(plan.Reason);
    }
}
