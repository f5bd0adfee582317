using Workers.Cli;
using Workers.Contracts.Messages;

namespace Workers.Integration.Tests;

/// <summary>The whole pipeline on a real broker and real containers: request → validate → plan → agents → Docker.</summary>
[Collection(PipelineCollection.Name)]
public sealed class PipelineTests(PipelineFixture fixture)
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(90);

    [Fact]
    public async Task Deploy_FourReplicasOnTwoHosts_LandTwoPerHostAnswerHttpMatchDockerAndDeleteLeavesNothing()
    {
        var client = fixture.NewClient();
        var name = Name("web");
        var id = await client.DeployAsync(Spec(name, replicas: 4), $"{name}.yaml", CancellationToken.None);

        var status = await WaitForStateAsync(client, id, DeploymentState.Running);

        Assert.Equal(4, status.Replicas.Count);
        Assert.Equal(2, status.Replicas.Count(r => r.HostId == fixture.HostA));
        Assert.Equal(2, status.Replicas.Count(r => r.HostId == fixture.HostB));
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        foreach (var replica in status.Replicas)
        {
            Assert.Equal(ReplicaState.Running, replica.State);
            var address = replica.HostId == fixture.HostA ? "127.0.0.2" : "127.0.0.3";
            var body = await http.GetStringAsync(new Uri($"http://{address}:{replica.Ports.Single().HostPort}/"));
            Assert.Equal($"hello from {replica.ContainerId![..12]}", body.Trim());
        }

        foreach (var hostId in new[] { fixture.HostA, fixture.HostB })
        {
            var containers = await DockerView.ContainersAsync(fixture.Docker, hostId, name);
            var expected = status.Replicas.Where(r => r.HostId == hostId).ToList();
            Assert.Equal(expected.Select(r => r.ContainerId).Order(), containers.Select(c => c.ID).Order());
            Assert.All(containers, c => Assert.Equal("running", c.State));
            Assert.Equal(
                expected.Select(r => r.Ports.Single().HostPort).Order(),
                containers.Select(c => (int)(c.Ports.Single(p => p.PublicPort is > 0).PublicPort ?? 0)).Order());
        }

        await DeleteAndWaitAsync(client, name);
    }

    [Fact]
    public async Task Events_DeployThenDelete_TheHistoryTellsEachStepInOrderOverTheBus()
    {
        var client = fixture.NewClient();
        var name = Name("told");
        var id = await client.DeployAsync(Spec(name, replicas: 1), $"{name}.yaml", CancellationToken.None);
        var status = await WaitForStateAsync(client, id, DeploymentState.Running);
        await DeleteAndWaitAsync(client, name);

        var events = (await client.EventsAsync(name, null, null, 100, CancellationToken.None)).Events;

        Assert.Equal(
            ["deployment.accepted", "replica.placed", "replica.running", "replica.healthy", "deployment.running", "deployment.deleting", "replica.stopping", "replica.stopped", "deployment.deleted"],
            events.Select(e => e.Kind));
        Assert.All(events.Where(e => e.Kind.StartsWith("replica.", StringComparison.Ordinal)), e => Assert.Equal((status.Replicas.Single().HostId, (int?)0), (e.HostId, e.Replica)));
        var after = await client.EventsAsync(name, events[^2].Sequence, null, 100, CancellationToken.None);
        Assert.Equal("deployment.deleted", Assert.Single(after.Events).Kind);
    }

    [Fact]
    public async Task Events_FunctionsHostRestartedBetweenDeployAndDelete_TheHistoryIsKeptAndGoesOnAfterIt()
    {
        var client = fixture.NewClient();
        var name = Name("kept");
        var id = await client.DeployAsync(Spec(name, replicas: 1), $"{name}.yaml", CancellationToken.None);
        await WaitForStateAsync(client, id, DeploymentState.Running);
        var before = (await client.EventsAsync(name, null, null, 100, CancellationToken.None)).Events;

        await fixture.RestartFunctionsAsync();
        var kept = (await client.EventsAsync(name, null, null, 100, CancellationToken.None)).Events;
        await DeleteAndWaitAsync(client, name);
        var events = (await client.EventsAsync(name, null, null, 100, CancellationToken.None)).Events;

        Assert.Equal(["deployment.accepted", "replica.placed", "replica.running", "replica.healthy", "deployment.running"], before.Select(e => e.Kind));
        Assert.Equal(before.Select(e => (e.Sequence, e.Kind, e.At)), kept.Select(e => (e.Sequence, e.Kind, e.At)));
        Assert.Equal(
            [.. before.Select(e => e.Kind), "deployment.deleting", "replica.stopping", "replica.stopped", "deployment.deleted"],
            events.Select(e => e.Kind));
        Assert.Equal(events.Select(e => e.Sequence).Order(), events.Select(e => e.Sequence));
        Assert.Equal(events.Count, events.Select(e => e.Sequence).Distinct().Count());
    }

    [Fact]
    public async Task Deploy_FixedHostPortTwoReplicas_OnePerHostOnTheSamePort()
    {
        var client = fixture.NewClient();
        var name = Name("fixed");
        var port = FixedPorts.Free();
        var id = await client.DeployAsync(Spec(name, replicas: 2, hostPort: port), $"{name}.yaml", CancellationToken.None);

        var status = await WaitForStateAsync(client, id, DeploymentState.Running);

        Assert.Equal([fixture.HostA, fixture.HostB], status.Replicas.Select(r => r.HostId).Order());
        Assert.All(status.Replicas, r => Assert.Equal(port, r.Ports.Single().HostPort));
        await DeleteAndWaitAsync(client, name);
    }

    [Fact]
    public async Task Deploy_MoreReplicasThanHostsWithFixedPort_IsRejectedWithReasonAndStartsNothing()
    {
        var client = fixture.NewClient();
        var name = Name("toomany");
        var id = await client.DeployAsync(Spec(name, replicas: 4, hostPort: FixedPorts.Free()), $"{name}.yaml", CancellationToken.None);

        var status = await WaitForStateAsync(client, id, DeploymentState.Rejected);

        Assert.Contains("cannot place replica 3 of 4", status.Reason, StringComparison.Ordinal);
        Assert.Contains("in use", status.Reason, StringComparison.Ordinal);
        Assert.Empty(status.Replicas);
        Assert.Empty(await DockerView.ContainersAsync(fixture.Docker, fixture.HostA, name));
        Assert.Empty(await DockerView.ContainersAsync(fixture.Docker, fixture.HostB, name));
        // The history has the refusal and its reason, and nothing placed.
        var rejected = Assert.Single((await client.EventsAsync(name, null, null, 100, CancellationToken.None)).Events);
        Assert.Equal(("deployment.rejected", status.Reason), (rejected.Kind, rejected.Message));
    }

    [Fact]
    public async Task Deploy_LabelNoHostCarries_IsRejectedNamingEachHost()
    {
        var client = fixture.NewClient();
        var name = Name("nolabel");
        var spec = Spec(name, replicas: 1) + "placement:\n  labels: { zone: mars-1 }\n";
        var id = await client.DeployAsync(spec, $"{name}.yaml", CancellationToken.None);

        var status = await WaitForStateAsync(client, id, DeploymentState.Rejected);

        Assert.Contains($"{fixture.HostA}: lacks label zone=mars-1 (has eu-1)", status.Reason, StringComparison.Ordinal);
        Assert.Contains($"{fixture.HostB}: lacks label zone=mars-1 (has eu-2)", status.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Deploy_InvalidSpec_IsRejectedWithPathsAndNeverReachesAnAgent()
    {
        var client = fixture.NewClient();
        var name = Name("bad");
        var spec = $"name: {name}\nimage: {TestImages.Workload}\nports:\n  - container: 70000\n";
        var id = await client.DeployAsync(spec, $"{name}.yaml", CancellationToken.None);

        var status = await WaitForStateAsync(client, id, DeploymentState.Rejected);

        var problem = Assert.Single(status.Problems);
        Assert.Equal(("ports[0].container", 4, 16), (problem.Path, problem.Line, problem.Column));
        Assert.Empty(await DockerView.ContainersAsync(fixture.Docker, fixture.HostA, name));
        Assert.Empty(await DockerView.ContainersAsync(fixture.Docker, fixture.HostB, name));
        var rejected = Assert.Single((await client.EventsAsync(name, null, null, 100, CancellationToken.None)).Events);
        Assert.Equal(("deployment.rejected", "the spec is invalid: 1 problem(s)"), (rejected.Kind, rejected.Message));
    }

    [Fact]
    public async Task Redeploy_SameName_NewRevisionRunsAndOldContainersAreRemoved()
    {
        var client = fixture.NewClient();
        var name = Name("roll");
        var first = await WaitForStateAsync(client, await client.DeployAsync(Spec(name, replicas: 2), $"{name}.yaml", CancellationToken.None), DeploymentState.Running);
        // A changed spec: the same one again would make no revision.
        var second = await WaitForStateAsync(client, await client.DeployAsync(Spec(name, replicas: 2) + "env:\n  VERSION: \"2\"\n", $"{name}.yaml", CancellationToken.None), DeploymentState.Running);

        Assert.Equal(first.Revision + 1, second.Revision);
        var running = await Poll.UntilAsync(
            async () => (await DockerView.ContainersAsync(fixture.Docker, fixture.HostA, name)).Concat(await DockerView.ContainersAsync(fixture.Docker, fixture.HostB, name)).ToList(),
            containers => containers.Count == 2,
            Deadline,
            "removal of the old revision's containers");
        Assert.All(running, c => Assert.Equal(second.Revision.ToString(System.Globalization.CultureInfo.InvariantCulture), c.Labels["workers.revision"]));
        // The first revision's history ends superseded (recorded right after the second one runs, so polled for).
        var superseded = await Poll.UntilAsync(
            () => client.EventsAsync(name, null, null, 100, CancellationToken.None),
            r => r.Events.Any(e => e.Kind == "deployment.superseded"),
            Deadline,
            "deployment.superseded in the history");
        Assert.Equal(
            ["deployment.accepted", "deployment.running", "deployment.superseded"],
            superseded.Events.Where(e => e.Revision == first.Revision && e.Kind.StartsWith("deployment.", StringComparison.Ordinal)).Select(e => e.Kind));
        Assert.Equal(["deployment.accepted", "deployment.running"], superseded.Events.Where(e => e.Revision == second.Revision && e.Kind.StartsWith("deployment.", StringComparison.Ordinal)).Select(e => e.Kind));
        await DeleteAndWaitAsync(client, name);
    }

    [Fact]
    public async Task Plan_DryRun_ShowsPlacementsAndStartsNothing()
    {
        var client = fixture.NewClient();
        var name = Name("dry");
        var reply = await client.PlanAsync(Spec(name, replicas: 2) + $"placement:\n  hosts: [{fixture.HostB}]\n", $"{name}.yaml", CancellationToken.None);

        Assert.Null(reply.Reason);
        Assert.Equal(2, reply.Placements.Count);
        Assert.All(reply.Placements, p => Assert.Equal(fixture.HostB, p.HostId));
        Assert.Empty((await client.StatusAsync(name, null, CancellationToken.None)).Deployments);
        Assert.Empty(await DockerView.ContainersAsync(fixture.Docker, fixture.HostB, name));
    }

    [Fact]
    public async Task HostLost_ReplicasRunElsewhereWithinAMinute_AndTheReturningAgentsCopyIsRemoved()
    {
        var client = fixture.NewClient();
        var name = Name("lost");
        var first = await WaitForStateAsync(client, await client.DeployAsync(Spec(name, replicas: 2), $"{name}.yaml", CancellationToken.None), DeploymentState.Running);
        var onA = first.Replicas.Single(r => r.HostId == fixture.HostA);
        var before = (await client.EventsAsync(null, null, null, 1, CancellationToken.None)).Events.Single().Sequence;
        ReplicaStatus lost;

        await fixture.StopAgentAsync(fixture.HostA);
        try
        {
            // Nomad's bar: replicas of a lost host run elsewhere within 60 s.
            var moved = await Poll.UntilAsync(
                () => client.StatusAsync(name, null, CancellationToken.None),
                r => r.Deployments is [var d] && d.Replicas.Count(x => x.State == ReplicaState.Running && x.HostId == fixture.HostB) == 2,
                TimeSpan.FromSeconds(60),
                "the lost replica running on host-b");
            // The replaced row leaves the name's view; the revision's own record keeps it, with the reason.
            Assert.DoesNotContain(moved.Deployments[0].Replicas, r => r.Index == onA.Index);
            var replicas = (await client.StatusAsync(null, first.DeploymentId, CancellationToken.None)).Deployments[0].Replicas;
            lost = replicas.Single(r => r.Index == onA.Index);
            Assert.Equal(ReplicaState.Lost, lost.State);
            Assert.Contains("sent no heartbeat", lost.Reason, StringComparison.Ordinal);
        }
        finally
        {
            await fixture.RestartAgentAsync(fixture.HostA);
        }

        // The agent is back with the old container still running: it is an orphan now, and goes.
        await Poll.UntilAsync(
            async () => (await DockerView.ContainersAsync(fixture.Docker, fixture.HostA, name)).Count,
            count => count == 0,
            Deadline,
            "removal of the returning host's copy");
        var running = await DockerView.ContainersAsync(fixture.Docker, fixture.HostB, name);
        Assert.Equal(2, running.Count(c => c.State == "running"));

        // The history tells it: the host lost and back with how long, the replica lost with why, its replacement
        // placed on host-b after it, and the returning copy orphaned.
        var hostEvents = (await client.EventsAsync(null, before, null, 1000, CancellationToken.None)).Events
            .Where(e => e.HostId == fixture.HostA && e.Kind.StartsWith("host.", StringComparison.Ordinal)).ToList();
        Assert.Equal(["host.lost", "host.returned"], hostEvents.Select(e => e.Kind));
        Assert.Matches(@"^no heartbeat for \d+s$", hostEvents[0].Message);
        Assert.Matches(@"^heard again \d+s after it was declared down$", hostEvents[1].Message);
        var events = (await client.EventsAsync(name, null, null, 100, CancellationToken.None)).Events;
        var replicaLost = Assert.Single(events, e => e.Kind == "replica.lost");
        Assert.Equal((fixture.HostA, (int?)onA.Index, lost.Reason), (replicaLost.HostId, replicaLost.Replica, replicaLost.Message));
        var replacement = Assert.Single(events, e => e.Kind == "replica.placed" && e.Sequence > replicaLost.Sequence);
        Assert.Equal((fixture.HostB, $"placed on {fixture.HostB}"), (replacement.HostId, replacement.Message));
        Assert.DoesNotContain(first.Replicas, r => r.Index == replacement.Replica);
        var orphaned = Assert.Single(events, e => e.Kind == "replica.orphaned");
        Assert.Equal((fixture.HostA, (int?)onA.Index, $"container {onA.ContainerId![..12]}: the store has the replica lost"), (orphaned.HostId, orphaned.Replica, orphaned.Message));
        await DeleteAndWaitAsync(client, name);
    }

    [Fact]
    public async Task ContainerKilledOutsideWorkers_IsNoticedAndReplacedAndTheDeadOneRemoved()
    {
        var client = fixture.NewClient();
        var name = Name("killed");
        var first = await WaitForStateAsync(client, await client.DeployAsync(Spec(name, replicas: 1), $"{name}.yaml", CancellationToken.None), DeploymentState.Running);
        var victim = first.Replicas.Single();

        await fixture.Docker.Containers.KillContainerAsync(victim.ContainerId!, new Docker.DotNet.Models.ContainerKillParameters());

        var replaced = await Poll.UntilAsync(
            () => client.StatusAsync(name, null, CancellationToken.None),
            r => r.Deployments is [var d] && d.Replicas.Any(x => x.State == ReplicaState.Running && x.Index != victim.Index),
            Deadline,
            "a replacement for the killed replica");
        // The replaced row leaves the name's view; the revision's own record keeps it, with the reason.
        Assert.DoesNotContain(replaced.Deployments[0].Replicas, r => r.Index == victim.Index);
        var lost = (await client.StatusAsync(null, first.DeploymentId, CancellationToken.None)).Deployments[0].Replicas.Single(r => r.Index == victim.Index);
        Assert.Contains("exited", lost.Reason, StringComparison.Ordinal);
        await Poll.UntilAsync(
            async () => (await DockerView.ContainersAsync(fixture.Docker, victim.HostId, name)).Any(c => c.ID == victim.ContainerId),
            present => !present,
            Deadline,
            "removal of the killed container");
        await DeleteAndWaitAsync(client, name);
    }

    private async Task DeleteAndWaitAsync(WorkersClient client, string name)
    {
        await client.DeleteAsync(name, CancellationToken.None);
        await fixture.WaitUntilGoneAsync(client, name, Deadline);
    }

    private static Task<DeploymentStatus> WaitForStateAsync(WorkersClient client, Guid id, DeploymentState state) =>
        PipelineFixture.WaitForStateAsync(client, id, state, Deadline);

    private static string Name(string prefix) => $"{prefix}-{Guid.NewGuid():N}"[..20];

    private static string Spec(string name, int replicas, int? hostPort = null) =>
        $"""
        name: {name}
        image: {TestImages.Workload}
        replicas: {replicas}
        ports:
          - container: 8080
        {(hostPort is { } port ? $"    host: {port}\n" : string.Empty)}resources:
          memory: 16Mi

        """;
}
