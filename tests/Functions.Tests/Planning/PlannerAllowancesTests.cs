using Workers.Contracts.Messages;
using Workers.Functions.Planning;
using Workers.Functions.Tests.Support;

namespace Workers.Functions.Tests.Planning;

/// <summary>
/// A spec asking a host for what its agent forbids (a host port outside its ranges, a capability it does not allow) is
/// refused at plan time, with the agent's reason and the setting that would change it; dynamic host ports come from the
/// range each agent advertises.
/// </summary>
public sealed class PlannerAllowancesTests
{
    private static readonly HostAllowances Defaults = new(
        new HostPortRange(20000, 32000),
        [new HostPortRange(20000, 32000)],
        ["AUDIT_WRITE", "CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL", "MKNOD", "NET_BIND_SERVICE", "NET_RAW", "SETFCAP", "SETGID", "SETPCAP", "SETUID", "SYS_CHROOT"]);

    private static HostCandidate Host(string id, HostAllowances? allows) => PlannerTests.Host(id) with { Allows = allows };

    [Fact]
    public void Plan_FixedHostPortNoAgentAllows_IsRefusedNamingThePortWhatIsAllowedAndTheSetting()
    {
        var spec = Specs.Make("web", 1, "ports:\n  - container: 8080\n    host: 8080\n");

        var result = Planner.Plan(spec, [Host("host-a", Defaults), Host("host-b", Defaults)]);

        Assert.False(result.Succeeded);
        Assert.Empty(result.Placements);
        const string Why = "its agent does not allow host port 8080/tcp (it allows 20000-32000; WORKERS_HOST_PORT_RANGE, WORKERS_HOST_PORTS_ALLOWED)";
        Assert.Equal($"cannot place replica 1 of 1: 2 host(s) considered, none can take it; host-a: {Why}; host-b: {Why}", result.Reason);
    }

    [Fact]
    public void Plan_CapabilityNoAgentAllows_IsRefusedNamingTheCapability()
    {
        var spec = Specs.Make("web", 1, "capabilities: [NET_BIND_SERVICE, SYS_ADMIN, NET_ADMIN]\n");

        var result = Planner.Plan(spec, [Host("host-a", Defaults with { Capabilities = ["NET_BIND_SERVICE"] })]);

        Assert.False(result.Succeeded);
        Assert.Equal(
            "cannot place replica 1 of 1: 1 host(s) considered, none can take it; host-a: its agent does not allow capability SYS_ADMIN, NET_ADMIN (it allows NET_BIND_SERVICE; WORKERS_ALLOWED_CAPABILITIES)",
            result.Reason);
    }

    [Fact]
    public void Plan_CapabilityAllowedOnOneHost_PlacesThereOnly()
    {
        var spec = Specs.Make("web", 2, "capabilities: [SYS_TIME]\n");
        var permissive = Defaults with { Capabilities = [.. Defaults.Capabilities, "SYS_TIME"] };

        var result = Planner.Plan(spec, [Host("host-a", Defaults), Host("host-b", permissive)]);

        Assert.True(result.Succeeded, result.Reason);
        Assert.All(result.Placements, p => Assert.Equal("host-b", p.HostId));
    }

    [Fact]
    public void Plan_FixedHostPortTheOperatorAllowsOnOneHost_PlacesThere()
    {
        var spec = Specs.Make("web", 1, "ports:\n  - container: 8080\n    host: 443\n");
        var withHttps = Defaults with { HostPorts = [.. Defaults.HostPorts, new HostPortRange(80, 80), new HostPortRange(443, 443)] };

        var result = Planner.Plan(spec, [Host("host-a", Defaults), Host("host-b", withHttps)]);

        Assert.True(result.Succeeded, result.Reason);
        var placement = Assert.Single(result.Placements);
        Assert.Equal(("host-b", 443), (placement.HostId, Assert.Single(placement.Ports).HostPort));
    }

    [Fact]
    public void Plan_DynamicPorts_ComeFromTheRangeTheHostAdvertises()
    {
        var spec = Specs.Make("web", 4, "ports:\n  - container: 8080\n  - container: 9090\n");
        var narrow = Defaults with { DynamicPorts = new HostPortRange(30000, 30009), HostPorts = [new HostPortRange(30000, 30009)] };

        var result = Planner.Plan(spec, [Host("host-a", narrow)]);

        Assert.True(result.Succeeded, result.Reason);
        var ports = result.Placements.SelectMany(p => p.Ports).Select(p => p.HostPort).ToList();
        Assert.Equal(8, ports.Distinct().Count());
        Assert.All(ports, port => Assert.InRange(port, 30000, 30009));
    }

    [Fact]
    public void Plan_MoreDynamicPortsThanTheAdvertisedRangeHolds_SaysTheRangeIsFull()
    {
        var spec = Specs.Make("web", 3, "ports:\n  - container: 8080\n");
        var tiny = Defaults with { DynamicPorts = new HostPortRange(30000, 30001), HostPorts = [new HostPortRange(30000, 30001)] };

        var result = Planner.Plan(spec, [Host("host-a", tiny)]);

        Assert.False(result.Succeeded);
        Assert.Equal("cannot place replica 3 of 3: 1 host(s) considered, none can take it; host-a: no free host port left in the dynamic range", result.Reason);
    }

    [Fact]
    public void Plan_HostAdvertisingNothing_IsNotChecked()
    {
        var spec = Specs.Make("web", 1, "ports:\n  - container: 8080\n    host: 8080\ncapabilities: [SYS_ADMIN]\n");

        var result = Planner.Plan(spec, [Host("host-a", null)]);

        Assert.True(result.Succeeded, result.Reason);
    }
}
