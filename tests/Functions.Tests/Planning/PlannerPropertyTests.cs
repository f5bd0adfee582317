using System.Globalization;
using System.Text;
using CsCheck;
using Workers.Contracts.Spec;
using Workers.Functions.Planning;
using Workers.Functions.Tests.Support;

namespace Workers.Functions.Tests.Planning;

public sealed class PlannerPropertyTests
{
    private const long Mi = 1L << 20;

    private static readonly (int Port, Protocol Protocol)[] PortPool =
        [(18080, Protocol.Tcp), (18081, Protocol.Udp), (20000, Protocol.Tcp), (20001, Protocol.Tcp), (20000, Protocol.Udp), (20002, Protocol.Udp)];

    private static readonly Gen<int?> FixedHostPort = Gen.OneOfConst<int?>(null, null, null, 18080, 18081, 20000, 20001);

    private static readonly Gen<(int? Host, Protocol Protocol)> PortEntry =
        Gen.Select(FixedHostPort, Gen.OneOfConst(Protocol.Tcp, Protocol.Udp), (host, protocol) => (host, protocol));

    private static readonly Gen<string> SpecText = Gen.Select(
        Gen.Int[1, 8],
        PortEntry.Array[0, 3],
        Gen.OneOfConst<string?>(null, "100m", "500m", "1"),
        Gen.OneOfConst<string?>(null, "64Mi", "256Mi"),
        Gen.OneOfConst<string?>(null, "zone: a"),
        Gen.Int[0, 4].Array[0, 3],
        (replicas, ports, cpu, memory, label, allowed) => Yaml(replicas, ports, cpu, memory, label, allowed));

    private static readonly Gen<HostCandidate[]> Hosts = Gen.Int[0, 5].SelectMany(count => Gen.Select(
        Gen.OneOfConst<string?>(null, "a", "b"),
        Gen.Frequency((4, Gen.Const(true)), (1, Gen.Const(false))),
        Gen.OneOfConst(0L, 300L, 1000L, 2000L, 4000L),
        Gen.OneOfConst(0L, 64 * Mi, 200 * Mi, 512 * Mi, 1024 * Mi),
        Gen.Int[0, PortPool.Length - 1].Array[0, 3],
        (zone, live, cpu, memory, taken) => (zone, live, cpu, memory, taken)).Array[count].Select(rows => rows
            .Select((row, i) => new HostCandidate(
                HostId.From("h" + i.ToString(CultureInfo.InvariantCulture)),
                row.zone is null ? new Dictionary<string, string>() : new Dictionary<string, string> { ["zone"] = row.zone },
                row.live,
                row.cpu,
                row.memory,
                row.taken.Select(t => PortPool[t]).ToHashSet()))
            .ToArray()));

    [Fact]
    public void Plan_RandomHostsAndSpecs_EverySuccessfulPlanKeepsAllInvariants()
    {
        Gen.Select(Hosts, SpecText).Sample((hosts, text) =>
        {
            var parsed = SpecParser.Parse(text, "test.yaml");
            Assert.True(parsed.IsValid, text + string.Join(Environment.NewLine, parsed.Problems));
            var spec = parsed.Spec;
            var result = Planner.Plan(spec, hosts);
            if (!result.Succeeded)
            {
                Assert.StartsWith("cannot place replica ", result.Reason, StringComparison.Ordinal);
                Assert.Empty(result.Placements);
                return;
            }

            AssertInvariants(spec, hosts, result);
        }, iter: 3000);
    }

    [Fact]
    public void Plan_IdenticalUnconstrainedHosts_ReplicaCountsDifferByAtMostOne()
    {
        Gen.Select(Gen.Int[1, 6], Gen.Int[1, 40], Gen.OneOfConst<int?>(null, 8080)).Sample((hostCount, replicas, containerPort) =>
        {
            var hosts = Enumerable.Range(0, hostCount)
                .Select(i => PlannerTests.Host("h" + i.ToString(CultureInfo.InvariantCulture)))
                .ToArray();
            var spec = Specs.Make("spread", replicas, containerPort is null ? string.Empty : $"ports:\n  - container: {containerPort}\n");

            var result = Planner.Plan(spec, hosts);

            Assert.True(result.Succeeded, result.Reason);
            var counts = hosts.Select(h => result.Placements.Count(p => p.HostId == h.Id.Value)).ToList();
            Assert.True(counts.Max() - counts.Min() <= 1, $"counts per host: {string.Join(", ", counts)}");
        });
    }

    private static void AssertInvariants(DeploymentSpec spec, HostCandidate[] hosts, PlacementResult result)
    {
        Assert.Equal(Enumerable.Range(0, spec.Replicas), result.Placements.Select(p => p.Index).Order());
        var byId = hosts.ToDictionary(h => h.Id.Value);
        var bound = new HashSet<(string, int, Protocol)>();
        foreach (var placement in result.Placements)
        {
            var host = byId[placement.HostId];
            Assert.True(host.Live, $"{placement.HostId} is not live");
            Assert.True(spec.Placement.Hosts is null || spec.Placement.Hosts.Contains(host.Id), $"{placement.HostId} is not in placement.hosts");
            Assert.All(spec.Placement.Labels, label => Assert.Equal(label.Value, host.Labels.GetValueOrDefault(label.Key)));
            Assert.Equal(spec.Ports.Count, placement.Ports.Count);
            for (var i = 0; i < spec.Ports.Count; i++)
            {
                var mapping = spec.Ports[i];
                var binding = placement.Ports[i];
                Assert.Equal(mapping.Container.Value, binding.ContainerPort);
                Assert.Equal(mapping.Protocol, binding.Protocol);
                if (mapping.Host is { } fixedPort)
                {
                    Assert.Equal(fixedPort.Value, binding.HostPort);
                }
                else
                {
                    Assert.InRange(binding.HostPort, Planner.DynamicPortMin, Planner.DynamicPortMax);
                }

                Assert.DoesNotContain((binding.HostPort, binding.Protocol), host.PortsTaken);
                Assert.True(bound.Add((placement.HostId, binding.HostPort, binding.Protocol)), $"{placement.HostId} {binding.HostPort}/{binding.Protocol} is bound twice");
            }
        }

        foreach (var group in result.Placements.GroupBy(p => p.HostId))
        {
            var host = byId[group.Key];
            Assert.True(group.Count() * (spec.Resources.Cpu?.Millicores ?? 0) <= host.CpuFreeMillicores, $"{group.Key}: CPU overcommitted");
            Assert.True(group.Count() * (spec.Resources.Memory?.Bytes ?? 0) <= host.MemoryFreeBytes, $"{group.Key}: memory overcommitted");
        }
    }

    private static string Yaml(int replicas, (int? Host, Protocol Protocol)[] ports, string? cpu, string? memory, string? label, int[] allowed)
    {
        var text = new StringBuilder(Specs.Text("prop", replicas));
        var usedHostPorts = new HashSet<(int, Protocol)>();
        if (ports.Length > 0)
        {
            text.Append("ports:\n");
            for (var i = 0; i < ports.Length; i++)
            {
                var (host, protocol) = ports[i];
                text.Append(CultureInfo.InvariantCulture, $"  - container: {8000 + i}\n    protocol: {(protocol == Protocol.Tcp ? "tcp" : "udp")}\n");
                if (host is { } port && usedHostPorts.Add((port, protocol)))
                {
                    text.Append(CultureInfo.InvariantCulture, $"    host: {port}\n");
                }
            }
        }

        if (cpu is not null || memory is not null)
        {
            text.Append("resources:\n");
            text.Append(cpu is null ? string.Empty : $"  cpu: {cpu}\n");
            text.Append(memory is null ? string.Empty : $"  memory: {memory}\n");
        }

        if (label is not null || allowed.Length > 0)
        {
            text.Append("placement:\n");
            text.Append(label is null ? string.Empty : $"  labels: {{ {label} }}\n");
            text.Append(allowed.Length == 0 ? string.Empty : $"  hosts: [{string.Join(", ", allowed.Distinct().Select(h => "h" + h.ToString(CultureInfo.InvariantCulture)))}]\n");
        }

        return text.ToString();
    }
}
