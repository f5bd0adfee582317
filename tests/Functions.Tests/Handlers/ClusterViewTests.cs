using Workers.Contracts.Messages;
using Workers.Contracts.Spec;
using Workers.Functions.Handlers;
using Workers.Functions.Planning;
using Workers.Functions.Store;
using Workers.Functions.Tests.Support;

namespace Workers.Functions.Tests.Handlers;

public sealed class ClusterViewTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 28, 12, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan HostTimeout = TimeSpan.FromSeconds(30);

    [Fact]
    public void Candidates_AfterEachRecordedPlan_AreTheCandidatesMadeAfreshFromTheSameView()
    {
        var view = new ClusterView(
            [Host("host-a", [new RunningReplica("seen", 1, 0, "c0", true, Now)], [new HostPort(8080, Protocol.Tcp)]), Host("host-b", [], []), Host("host-c", [], [])],
            [new PortReservation("host-a", 8080, Protocol.Tcp, Guid.NewGuid(), "seen", 0), new PortReservation("host-b", 9000, Protocol.Tcp, Guid.NewGuid(), "unseen", 0)],
            [new ReplicaLimits("host-a", "seen", 1, 0, 500, 1L << 20), new ReplicaLimits("host-b", "unseen", 1, 0, 250, 1L << 20)]);
        var spec = Specs.Make("web", 2, "resources: { cpu: 100m, memory: 64Mi }");

        AssertSame(Fresh(view), view.Candidates(Now, HostTimeout));

        view.Record(Guid.NewGuid(), spec, 1, [new ReplicaPlacement(0, "host-b", [new PortBinding(80, 20001, Protocol.Tcp)]), new ReplicaPlacement(1, "host-c", [])], []);
        var afterFirst = view.Candidates(Now, HostTimeout);
        AssertSame(Fresh(view), afterFirst);
        var hostB = afterFirst.Single(c => c.Id.Value == "host-b");
        Assert.Contains((20001, Protocol.Tcp), hostB.PortsTaken);
        Assert.Equal(4000 - 250 - 100, hostB.CpuFreeMillicores);
        Assert.Equal(2, hostB.Replicas);

        var displaced = view.Reservations.Single(r => r.HostId == "host-a");
        view.Record(Guid.NewGuid(), spec, 2, [new ReplicaPlacement(0, "host-a", [new PortBinding(80, 8081, Protocol.Tcp)])], [displaced]);
        var afterSecond = view.Candidates(Now, HostTimeout);
        AssertSame(Fresh(view), afterSecond);
        // The displaced reservation is gone from the view, but the heartbeat still shows the port in use.
        Assert.Contains((8080, Protocol.Tcp), afterSecond.Single(c => c.Id.Value == "host-a").PortsTaken);
        Assert.Contains((8081, Protocol.Tcp), afterSecond.Single(c => c.Id.Value == "host-a").PortsTaken);
    }

    [Fact]
    public void Candidates_WithReplaceablePorts_CountThosePortsAsFree()
    {
        var older = Guid.NewGuid();
        var view = new ClusterView(
            [Host("host-a", [], [])],
            [new PortReservation("host-a", 8080, Protocol.Tcp, older, "web", 0), new PortReservation("host-a", 9090, Protocol.Tcp, Guid.NewGuid(), "other", 0)],
            []);

        var candidate = Assert.Single(view.Candidates(Now, HostTimeout, r => r.DeploymentId == older));

        Assert.Equal([(9090, Protocol.Tcp)], [.. candidate.PortsTaken]);
        Assert.Equal(2, Assert.Single(view.Candidates(Now, HostTimeout)).PortsTaken.Count);
    }

    /// <summary>The candidates of a new view of the same hosts, reservations and limits: none kept from earlier plans.</summary>
    private static IReadOnlyList<HostCandidate> Fresh(ClusterView view) =>
        new ClusterView(view.Hosts, [.. view.Reservations], [.. view.Limits]).Candidates(Now, HostTimeout);

    private static void AssertSame(IReadOnlyList<HostCandidate> expected, IReadOnlyList<HostCandidate> actual)
    {
        Assert.Equal(expected.Count, actual.Count);
        foreach (var (e, a) in expected.Zip(actual))
        {
            Assert.Equal(e with { PortsTaken = a.PortsTaken }, a);
            Assert.True(e.PortsTaken.SetEquals(a.PortsTaken), $"{e.Id.Value}: ports {string.Join(", ", e.PortsTaken)} expected, {string.Join(", ", a.PortsTaken)} made");
        }
    }

    private static HostRecord Host(string id, IReadOnlyList<RunningReplica> replicas, IReadOnlyList<HostPort> ports) =>
        new(new HostHeartbeat(Guid.NewGuid(), Guid.NewGuid(), Now, id, new Dictionary<string, string>(), "127.0.0.1", 4000, 8L << 30, 4000, 8L << 30, replicas, ports), Now);
}
