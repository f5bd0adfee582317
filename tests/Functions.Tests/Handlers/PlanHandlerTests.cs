using Workers.Contracts.Messages;
using Workers.Functions.Handlers;
using Workers.Contracts.Spec;
using Workers.Functions.Tests.Support;

namespace Workers.Functions.Tests.Handlers;

public sealed class PlanHandlerTests
{
    private const string DynamicPort = "ports:\n  - container: 8080\n";
    private const string FixedPort = "ports:\n  - container: 8080\n    host: 18080\n";

    private const string OneDown = "update:\n  maxUnavailable: 1\n  maxSurge: 1\n";

    [Fact]
    public async Task HandleAsync_TwoLiveHosts_SendsOneStartReplicasPerHostListingItsReplicas()
    {
        await using var h = await HandlerHarness.CreateAsync();
        await h.HeartbeatAsync("host-a");
        await h.HeartbeatAsync("host-b");
        var spec = Specs.Make("web", 4, DynamicPort);

        var (id, effects) = await h.DeployAsync(spec);

        Assert.Empty(effects.Published);
        var starts = effects.SentOf<StartReplicas>();
        Assert.Equal(["host-a", "host-b"], starts.Select(s => s.HostId).Order());
        Assert.Equal(effects.Sent.Count, starts.Count);
        Assert.All(starts, s =>
        {
            Assert.Equal(s.HostId, s.Command.HostId);
            Assert.Equal((id, 1L, spec), (s.Command.CorrelationId, s.Command.Revision, s.Command.Spec));
            Assert.Equal(h.Time.GetUtcNow() + h.Options.CommandTimeToLive, s.Command.ExpiresAt);
            Assert.Equal(2, s.Command.Replicas.Count);
        });
        Assert.Equal([0, 1, 2, 3], starts.SelectMany(s => s.Command.Replicas).Select(r => r.Index).Order());
        var stored = await h.Store.GetReplicasAsync(id, CancellationToken.None);
        foreach (var (hostId, start) in starts)
        {
            foreach (var replica in start.Replicas)
            {
                var record = stored.Single(r => r.Index == replica.Index);
                Assert.Equal((hostId, ReplicaState.Pending), (record.HostId, record.State));
                Assert.Equal(replica.Ports, record.Ports);
            }
        }
    }

    [Fact]
    public async Task HandleBatch_TwoRequestsForOneNameAcceptedTheOtherWayRound_TheLaterRequestIsTheLaterRevision()
    {
        await using var h = await HandlerHarness.CreateAsync();
        await h.HeartbeatAsync("host-a");
        var made = h.Time.GetUtcNow();
        var older = h.Accepted(Specs.Make("web", 1)) with { RequestedAt = made };
        var newer = h.Accepted(Specs.Make("web", 1, "env:\n  VERSION: \"2\"\n")) with { RequestedAt = made.AddMilliseconds(5) };

        // Two validators accepted them side by side, and the newer request's acceptance came first.
        await h.Plan.HandleAsync([newer, older], CancellationToken.None);

        var current = Assert.Single(await h.Store.GetCurrentRevisionsAsync("web", CancellationToken.None));
        Assert.Equal((newer.CorrelationId, 2L), (current.DeploymentId, current.Revision));
        Assert.Equal(1, (await h.Store.GetRevisionAsync(older.CorrelationId, CancellationToken.None))!.Revision);
    }

    [Fact]
    public async Task Handle_ARequestOvertakenInFlightByALaterOnePlannedByAnotherHost_IsRejectedAndTheLaterStaysCurrent()
    {
        await using var h = await HandlerHarness.CreateAsync();
        await h.HeartbeatAsync("host-a");
        var made = h.Time.GetUtcNow();
        var older = h.Accepted(Specs.Make("web", 1)) with { RequestedAt = made };
        var newer = h.Accepted(Specs.Make("web", 1, "env:\n  VERSION: \"2\"\n")) with { RequestedAt = made.AddMilliseconds(5) };

        // Both accepted; the other functions host plans the newer one first, in a batch of its own.
        await h.Plan.HandleAsync([newer], CancellationToken.None);
        h.Time.Advance(TimeSpan.FromMilliseconds(50));
        var effects = await h.Plan.HandleAsync([older], CancellationToken.None);

        var current = Assert.Single(await h.Store.GetCurrentRevisionsAsync("web", CancellationToken.None));
        Assert.Equal((newer.CorrelationId, 1L), (current.DeploymentId, current.Revision));
        var overtaken = (await h.Store.GetRevisionAsync(older.CorrelationId, CancellationToken.None))!;
        Assert.Equal(DeploymentState.Rejected, overtaken.State);
        Assert.Contains("a later request for web was planned", overtaken.Reason, StringComparison.Ordinal);
        Assert.Equal(older.CorrelationId, Assert.Single(effects.PublishedOf<DeploymentRejected>()).CorrelationId);
        Assert.Empty(effects.SentOf<StartReplicas>());
    }

    [Fact]
    public async Task Handle_ARequestWhoseSendersClockIsBehind_AcceptedAfterTheOtherWasPlanned_IsPlannedAndCurrent()
    {
        await using var h = await HandlerHarness.CreateAsync();
        await h.HeartbeatAsync("host-a");
        var first = h.Accepted(Specs.Make("web", 1)) with { RequestedAt = h.Time.GetUtcNow() };
        await h.Plan.HandleAsync([first], CancellationToken.None);
        h.Time.Advance(TimeSpan.FromSeconds(10));

        // Sent ten seconds later from a machine whose clock is a minute behind: it still arrived after the first plan.
        var late = h.Accepted(Specs.Make("web", 1, "env:\n  VERSION: \"2\"\n")) with { RequestedAt = h.Time.GetUtcNow().AddMinutes(-1) };
        await h.Plan.HandleAsync([late], CancellationToken.None);

        var current = Assert.Single(await h.Store.GetCurrentRevisionsAsync("web", CancellationToken.None));
        Assert.Equal((late.CorrelationId, 2L), (current.DeploymentId, current.Revision));
    }

    [Fact]
    public async Task HandleBatch_TwoDeploymentsWantTheSameFixedPort_TheSecondSeesTheFirstsReservationAndIsRejected()
    {
        await using var h = await HandlerHarness.CreateAsync();
        await h.HeartbeatAsync("host-a");
        var first = h.Accepted(Specs.Make("web", 1, FixedPort));
        var second = h.Accepted(Specs.Make("api", 1, FixedPort));

        // Planned from one read of the cluster: without the first plan in the view, the second would take the same
        // port and lose the store's unique key, failing the whole batch.
        var effects = await h.Plan.HandleAsync([first, second], CancellationToken.None);

        Assert.Equal(first.CorrelationId, Assert.Single(effects.SentOf<StartReplicas>()).Command.CorrelationId);
        var rejected = Assert.Single(effects.PublishedOf<DeploymentRejected>());
        Assert.Equal(second.CorrelationId, rejected.CorrelationId);
        Assert.Contains("host-a: host port 18080/tcp in use", rejected.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task HandleBatch_RoomForOneOfTwo_TheSecondCountsTheFirstsCpuAndIsRejected()
    {
        await using var h = await HandlerHarness.CreateAsync();
        await h.HeartbeatAsync("host-a");
        const string ThreeCores = "resources:\n  cpu: 3000m\n";
        var first = h.Accepted(Specs.Make("web", 1, ThreeCores));
        var second = h.Accepted(Specs.Make("api", 1, ThreeCores));

        // The host has 4000m free by its heartbeat; nothing in the store enforces CPU, only the plan's view does.
        var effects = await h.Plan.HandleAsync([first, second], CancellationToken.None);

        Assert.Equal(first.CorrelationId, Assert.Single(effects.SentOf<StartReplicas>()).Command.CorrelationId);
        Assert.Equal(second.CorrelationId, Assert.Single(effects.PublishedOf<DeploymentRejected>()).CorrelationId);
        Assert.Equal(DeploymentState.Rejected, (await h.Store.GetRevisionAsync(second.CorrelationId, CancellationToken.None))!.State);
    }

    [Fact]
    public async Task HandleBatch_TheSameRequestTwiceAndOnePlannedBefore_PlansOnceAndResendsThePlanned()
    {
        await using var h = await HandlerHarness.CreateAsync();
        await h.HeartbeatAsync("host-a");
        await h.HeartbeatAsync("host-b");
        var planned = h.Accepted(Specs.Make("web", 2, DynamicPort));
        var before = await h.Plan.HandleAsync(planned, CancellationToken.None);
        var fresh = h.Accepted(Specs.Make("api", 2, DynamicPort));

        var effects = await h.Plan.HandleAsync([fresh, planned, fresh], CancellationToken.None);

        var starts = effects.SentOf<StartReplicas>();
        Assert.Equal(2, starts.Count(s => s.Command.CorrelationId == fresh.CorrelationId));
        Assert.Equal(
            before.SentOf<StartReplicas>().SelectMany(s => s.Command.Replicas.Select(r => (s.HostId, r.Index, r.Ports[0].HostPort))).Order(),
            starts.Where(s => s.Command.CorrelationId == planned.CorrelationId).SelectMany(s => s.Command.Replicas.Select(r => (s.HostId, r.Index, r.Ports[0].HostPort))).Order());
        Assert.Equal(2, (await h.Store.GetReplicasAsync(fresh.CorrelationId, CancellationToken.None)).Count);
    }

    [Fact]
    public async Task HandleAsync_HostPortTakenOnEveryHost_RejectsWithTheReasonAndSendsNothing()
    {
        await using var h = await HandlerHarness.CreateAsync();
        await h.HeartbeatAsync("host-a", new HostPort(18080, Protocol.Tcp));
        await h.HeartbeatAsync("host-b", new HostPort(18080, Protocol.Tcp));

        var (id, effects) = await h.DeployAsync(Specs.Make("web", 1, FixedPort));

        Assert.Empty(effects.Sent);
        var rejected = Assert.IsType<DeploymentRejected>(Assert.Single(effects.Published));
        Assert.Equal((id, "web"), (rejected.CorrelationId, rejected.Name));
        Assert.StartsWith("cannot place replica 1 of 1", rejected.Reason, StringComparison.Ordinal);
        Assert.Contains("host-a: host port 18080/tcp in use", rejected.Reason, StringComparison.Ordinal);
        Assert.Contains("host-b: host port 18080/tcp in use", rejected.Reason, StringComparison.Ordinal);
        var record = await h.Store.GetRevisionAsync(id, CancellationToken.None);
        Assert.Equal((DeploymentState.Rejected, rejected.Reason), (record!.State, record.Reason));
        Assert.Empty(await h.Store.GetReservationsAsync(CancellationToken.None));
    }

    [Fact]
    public async Task HandleAsync_Redelivered_ResendsTheRecordedPlanInsteadOfPlanningAgain()
    {
        await using var h = await HandlerHarness.CreateAsync();
        await h.HeartbeatAsync("host-a");
        var accepted = h.Accepted(Specs.Make("web", 2, DynamicPort));
        var first = await h.Plan.HandleAsync(accepted, CancellationToken.None);

        // A new host would change a fresh plan (one replica each): the redelivery must not notice it.
        await h.HeartbeatAsync("host-b");
        var again = await h.Plan.HandleAsync(accepted, CancellationToken.None);

        static List<(string, long, int, PortBinding)> Commands(Effects effects) =>
            [.. effects.SentOf<StartReplicas>().SelectMany(s => s.Command.Replicas.Select(r => (s.HostId, s.Command.Revision, r.Index, r.Ports.Single())))];
        Assert.Equal(Commands(first), Commands(again));
        Assert.Equal(2, Commands(again).Count);
        Assert.All(Commands(again), c => Assert.Equal("host-a", c.Item1));
        Assert.Empty(again.Published);
        var current = Assert.Single(await h.Store.GetCurrentRevisionsAsync("web", CancellationToken.None));
        Assert.Equal((accepted.CorrelationId, 1L), (current.DeploymentId, current.Revision));
        Assert.Equal(2, (await h.Store.GetReservationsAsync(CancellationToken.None)).Count);
    }

    [Fact]
    public async Task HandleAsync_RedeliveredLater_ResendsTheStartsWithTheirPlacementsDeadlineNotANewOne()
    {
        await using var h = await HandlerHarness.CreateAsync();
        await h.HeartbeatAsync("host-a");
        var accepted = h.Accepted(Specs.Make("web", 2, DynamicPort));
        var first = Assert.Single((await h.Plan.HandleAsync(accepted, CancellationToken.None)).SentOf<StartReplicas>()).Command;

        // The first start may still arrive, be refused as expired and its replicas be placed again elsewhere: a copy
        // sent later must expire with it, or it would start them on ports given to their replacements.
        h.Time.Advance(h.Options.CommandTimeToLive / 2);
        var again = Assert.Single((await h.Plan.HandleAsync(accepted, CancellationToken.None)).SentOf<StartReplicas>()).Command;

        Assert.NotEqual(first.MessageId, again.MessageId);
        Assert.Equal(first.ExpiresAt, again.ExpiresAt);
        Assert.Equal(first.Replicas.Select(r => r.Index), again.Replicas.Select(r => r.Index));
    }

    [Fact]
    public async Task HandleAsync_RedeliveredAfterTheStartsExpired_SendsNothingAgain()
    {
        await using var h = await HandlerHarness.CreateAsync();
        await h.HeartbeatAsync("host-a");
        var accepted = h.Accepted(Specs.Make("web", 2, DynamicPort));
        await h.Plan.HandleAsync(accepted, CancellationToken.None);

        h.Time.Advance(h.Options.CommandTimeToLive);
        var again = await h.Plan.HandleAsync(accepted, CancellationToken.None);

        Assert.Empty(again.SentOf<StartReplicas>());
    }

    [Fact]
    public async Task HandleAsync_HostWhoseHeartbeatIsOlderThanHostTimeout_IsNotUsed()
    {
        await using var h = await HandlerHarness.CreateAsync();
        await h.HeartbeatAsync("host-old");
        h.Time.Advance(h.Options.HostTimeout + TimeSpan.FromSeconds(1));
        await h.HeartbeatAsync("host-new");

        var (_, effects) = await h.DeployAsync(Specs.Make("web", 3));

        var start = Assert.Single(effects.SentOf<StartReplicas>());
        Assert.Equal("host-new", start.HostId);
        Assert.Equal(3, start.Command.Replicas.Count);
    }

    [Fact]
    public async Task HandleAsync_OnlyHostIsStale_RejectsSayingItIsDown()
    {
        await using var h = await HandlerHarness.CreateAsync();
        await h.HeartbeatAsync("host-old");
        h.Time.Advance(h.Options.HostTimeout + TimeSpan.FromSeconds(1));

        var (_, effects) = await h.DeployAsync(Specs.Make("web", 1));

        Assert.Empty(effects.Sent);
        var rejected = Assert.IsType<DeploymentRejected>(Assert.Single(effects.Published));
        Assert.Contains("host-old: no recent heartbeat", rejected.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task HandleAsync_RedeployOnAFixedPort_StopsTheOldReplicaFirstAndTakesOverItsPort()
    {
        await using var h = await HandlerHarness.CreateAsync();
        await h.HeartbeatAsync("host-a");
        var (v1, planned) = await h.DeployAsync(Specs.Make("web", 1, FixedPort + OneDown));
        await h.StartAllAsync(planned);
        await h.HeartbeatAsync("host-a", new HostPort(18080, Protocol.Tcp));

        // maxUnavailable 1: the only replica may go, so the new one takes its port on the only host.
        var (v2, effects) = await h.DeployAsync(Specs.Make("web", 1, FixedPort + OneDown + "env:\n  VERSION: \"2\"\n"));

        Assert.Collection(
            effects.Sent,
            stop =>
            {
                var command = Assert.IsType<StopReplicas>(stop.Command);
                Assert.Equal(("host-a", v1, 1L, "web"), (stop.HostId, command.CorrelationId, command.Revision, command.Name));
                Assert.Equal([0], command.Indexes);
            },
            start =>
            {
                var command = Assert.IsType<StartReplicas>(start.Command);
                Assert.Equal(("host-a", v2, 2L), (start.HostId, command.CorrelationId, command.Revision));
                Assert.Equal(18080, command.Replicas.Single().Ports.Single().HostPort);
            });
        Assert.Equal(ReplicaState.Stopping, Assert.Single(await h.Store.GetReplicasAsync(v1, CancellationToken.None)).State);
        Assert.Equal(v2, Assert.Single(await h.Store.GetReservationsAsync(CancellationToken.None)).DeploymentId);
    }

    [Fact]
    public async Task HandleAsync_RedeployOnAFixedPortWithNoRoomToSurgeAndNoneMayBeDown_IsRejectedBeforeAnythingStops()
    {
        await using var h = await HandlerHarness.CreateAsync();
        await h.HeartbeatAsync("host-a");
        var (v1, planned) = await h.DeployAsync(Specs.Make("web", 1, FixedPort));
        await h.StartAllAsync(planned);
        await h.HeartbeatAsync("host-a", new HostPort(18080, Protocol.Tcp));

        // The default policy (maxUnavailable 0, maxSurge 1): the new replica needs port 18080, which only the old one's host has.
        var (v2, effects) = await h.DeployAsync(Specs.Make("web", 1, FixedPort + "env:\n  VERSION: \"2\"\n"));

        Assert.Empty(effects.Sent);
        var rejected = Assert.IsType<DeploymentRejected>(Assert.Single(effects.Published));
        Assert.Contains("maxUnavailable 0", rejected.Reason, StringComparison.Ordinal);
        Assert.Contains("cannot be kept", rejected.Reason, StringComparison.Ordinal);
        Assert.Equal(DeploymentState.Rejected, (await h.Store.GetRevisionAsync(v2, CancellationToken.None))!.State);
        Assert.Equal(ReplicaState.Running, Assert.Single(await h.Store.GetReplicasAsync(v1, CancellationToken.None)).State);
    }

    [Fact]
    public async Task HandleAsync_RedeployOnAFixedPortWithASpareHost_SurgesThereFirst()
    {
        await using var h = await HandlerHarness.CreateAsync();
        await h.HeartbeatAsync("host-a");
        var (v1, planned) = await h.DeployAsync(Specs.Make("web", 1, FixedPort + "placement:\n  hosts: [host-a]\n"));
        await h.StartAllAsync(planned);
        await h.HeartbeatAsync("host-a", new HostPort(18080, Protocol.Tcp));
        await h.HeartbeatAsync("host-b");

        var (v2, effects) = await h.DeployAsync(Specs.Make("web", 1, FixedPort + "env:\n  VERSION: \"2\"\n"));

        var start = Assert.Single(effects.SentOf<StartReplicas>());
        Assert.Equal(("host-b", v2), (start.HostId, start.Command.CorrelationId));
        Assert.Empty(effects.SentOf<StopReplicas>());
        Assert.Equal(ReplicaState.Running, Assert.Single(await h.Store.GetReplicasAsync(v1, CancellationToken.None)).State);
    }

    [Fact]
    public async Task HandleAsync_SameSpecAsTheRunningOne_MakesNoRevisionAndSaysItRuns()
    {
        await using var h = await HandlerHarness.CreateAsync();
        await h.HeartbeatAsync("host-a");
        var (v1, planned) = await h.DeployAsync(Specs.Make("web", 2));
        await h.StartAllAsync(planned);

        var (again, effects) = await h.DeployAsync(Specs.Make("web", 2));

        Assert.Empty(effects.Sent);
        var succeeded = Assert.IsType<DeploymentSucceeded>(Assert.Single(effects.Published));
        Assert.Equal((again, 1L), (succeeded.CorrelationId, succeeded.Revision));
        Assert.Equal(v1, (await h.Store.GetRevisionAsync(again, CancellationToken.None))!.DeploymentId);
        Assert.Equal(1L, Assert.Single(await h.Store.GetRevisionsAsync("web", CancellationToken.None)).Revision);
    }

    [Fact]
    public async Task HandleAsync_SecondPlanBeforeTheNextHeartbeat_CountsTheFirstPlansMemory()
    {
        await using var h = await HandlerHarness.CreateAsync();
        await h.HeartbeatAsync("host-a");
        var fiveGi = "resources:\n  memory: 5Gi\n";

        var (_, first) = await h.DeployAsync(Specs.Make("first", 1, fiveGi));
        var (_, second) = await h.DeployAsync(Specs.Make("second", 1, fiveGi));

        Assert.Single(first.SentOf<StartReplicas>());
        Assert.Empty(second.Sent);
        var rejected = Assert.IsType<DeploymentRejected>(Assert.Single(second.Published));
        Assert.Contains("host-a: not enough memory", rejected.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task HandleAsync_ReplicaStoppedBeforeItsStartExpired_ItsHostPortIsNotPlannedOnThatHostUntilTheStartExpires()
    {
        await using var h = await HandlerHarness.CreateAsync();
        await h.HeartbeatAsync("host-a");
        var spec = Specs.Make("web", 1, DynamicPort);
        var (_, first) = await h.DeployAsync(spec);
        var held = Assert.Single(first.SentOf<StartReplicas>()).Command.Replicas.Single().Ports.Single().HostPort;

        // Deleted at once: the stop reaches the agent before the start, which a duplicated or redelivered copy can
        // still carry out on the held port until it expires.
        var deleting = await h.Delete.HandleAsync(new DeleteDeployment(Guid.NewGuid(), Guid.NewGuid(), h.Time.GetUtcNow(), "web", "tester"), CancellationToken.None);
        var stop = Assert.Single(deleting.SentOf<StopReplicas>()).Command;
        await h.Track.HandleAsync(h.Stopped(stop, stop.Indexes.Single()), CancellationToken.None);
        var (_, again) = await h.DeployAsync(spec);

        var port = Assert.Single(again.SentOf<StartReplicas>()).Command.Replicas.Single().Ports.Single().HostPort;
        Assert.NotEqual(held, port);

        await h.StartAllAsync(again);
        h.Time.Advance(h.Options.CommandTimeToLive);
        await h.HeartbeatRunningAsync("host-a", h.RunningOn(again, "host-a"));
        await h.Sweep.HandleAsync(CancellationToken.None);

        Assert.Equal([port], (await h.Store.GetReservationsAsync(CancellationToken.None)).Select(r => r.HostPort));
    }
}
