using System.Globalization;
using Workers.Contracts.Messages;
using Workers.Contracts.Spec;
using Workers.Functions.Store;
using Workers.Functions.Tests.Support;

namespace Workers.Functions.Tests.Store;

/// <summary>
/// The store contract, run against every database (see the derived classes). Tests share a database: each one uses
/// its own deployment names and host id, and only looks at rows that carry them.
/// </summary>
public abstract class StoreTests : IAsyncLifetime
{
    private static readonly DateTimeOffset At = new(2025, 6, 1, 12, 0, 0, TimeSpan.Zero);

    private readonly List<SqlDialect> _dialects = [];
    private readonly string _host = "host-" + Guid.NewGuid().ToString("N")[..12];
    private SqlDeploymentStore? _store;

    /// <summary>The database every test of the class shares (already holding other tests' rows, possibly).</summary>
    protected abstract string SharedDatabase { get; }

    private SqlDeploymentStore Store => _store ?? throw new InvalidOperationException("not initialised");

    /// <summary>A database nothing has touched yet.</summary>
    protected abstract Task<string> CreateDatabaseAsync();

    protected abstract SqlDialect CreateDialect(string database);

    public virtual async Task InitializeAsync() => _store = await OpenAsync(SharedDatabase, migrate: true);

    public virtual Task DisposeAsync()
    {
        foreach (var dialect in _dialects.OfType<IDisposable>())
        {
            dialect.Dispose();
        }

        return Task.CompletedTask;
    }

    [Fact]
    public async Task MigrateAsync_RunTwiceOnAnEmptyDatabase_IsHarmless()
    {
        var database = await CreateDatabaseAsync();
        var store = await OpenAsync(database, migrate: false);

        await store.MigrateAsync(CancellationToken.None);
        await store.MigrateAsync(CancellationToken.None);

        Assert.Equal(Migrations.Steps.Count, await SchemaVersionRowsAsync(database));
        await AssertSchemaWorksAsync(store);
    }

    [Fact]
    public async Task MigrateAsync_ConcurrentlyFromTwoStores_BothSucceedAndMigrateOnce()
    {
        for (var round = 0; round < 5; round++)
        {
            var database = await CreateDatabaseAsync();
            var first = await OpenAsync(database, migrate: false);
            var second = await OpenAsync(database, migrate: false);

            await Task.WhenAll(
                Task.Run(() => first.MigrateAsync(CancellationToken.None)),
                Task.Run(() => second.MigrateAsync(CancellationToken.None)));

            Assert.Equal(Migrations.Steps.Count, await SchemaVersionRowsAsync(database));
            await AssertSchemaWorksAsync(second);
        }
    }

    [Fact]
    public async Task TryClaimDeliveryAsync_SameDeliveryTwice_OnlyTheFirstClaims()
    {
        var delivery = Guid.NewGuid().ToString();

        Assert.True(await Store.TryClaimDeliveryAsync("github", delivery, At, CancellationToken.None));
        Assert.False(await Store.TryClaimDeliveryAsync("github", delivery, At, CancellationToken.None));
        Assert.True(await Store.TryClaimDeliveryAsync("events", delivery, At, CancellationToken.None));
    }

    [Fact]
    public async Task TryClaimDeliveryAsync_ConcurrentClaims_ExactlyOneWins()
    {
        var delivery = Guid.NewGuid().ToString();

        var claims = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(() => Store.TryClaimDeliveryAsync("github", delivery, At, CancellationToken.None))));

        Assert.Single(claims, claimed => claimed);
    }

    [Fact]
    public async Task ReleaseDeliveryAsync_AfterAClaim_LetsTheNextClaimWin()
    {
        var delivery = Guid.NewGuid().ToString();
        await Store.TryClaimDeliveryAsync("github", delivery, At, CancellationToken.None);

        await Store.ReleaseDeliveryAsync("github", delivery, CancellationToken.None);

        Assert.True(await Store.TryClaimDeliveryAsync("github", delivery, At, CancellationToken.None));
    }

    [Fact]
    public async Task SavePlanAsync_SameNameTwice_StoresRevisionOneThenTwoAndTheNewestIsCurrent()
    {
        var name = Specs.UniqueName("rev");
        var spec = Specs.Make(name, 1);
        var first = Guid.NewGuid();
        var second = Guid.NewGuid();

        var one = await SaveAsync(first, spec, Placement(0, 21000));
        var two = await SaveAsync(second, spec, Placement(0, 21001));

        Assert.Equal(1, one);
        Assert.Equal(2, two);
        var current = Assert.Single(await Store.GetCurrentRevisionsAsync(name, CancellationToken.None));
        Assert.Equal((second, 2L, DeploymentState.Pending), (current.DeploymentId, current.Revision, current.State));
        Assert.Equal(spec, current.Spec);
        Assert.Equal(1, (await Store.GetRevisionAsync(first, CancellationToken.None))!.Revision);
        Assert.Contains(await Store.GetCurrentRevisionsAsync(null, CancellationToken.None), r => r.DeploymentId == second);
        Assert.DoesNotContain(await Store.GetCurrentRevisionsAsync(null, CancellationToken.None), r => r.DeploymentId == first);
    }

    [Fact]
    public async Task SavePlanAsync_ARequestALaterOneOvertookInFlight_SavesNothingAndReturnsNull()
    {
        var name = Specs.UniqueName("order");
        var (older, newer) = (Guid.NewGuid(), Guid.NewGuid());
        var made = At.AddSeconds(-2);

        var planned = await Store.SavePlanAsync(newer, Specs.Make(name, 1), "test", new RequestTimes(made.AddMilliseconds(5), At.AddSeconds(-1)), [Placement(0, 21010)], [], At, CancellationToken.None);
        var overtaken = await Store.SavePlanAsync(older, Specs.Make(name, 2), "test", new RequestTimes(made, At.AddSeconds(-1)), [Placement(0, 21011)], [], At.AddSeconds(1), CancellationToken.None);

        Assert.Equal((1L, (long?)null), (planned, overtaken));
        Assert.Null(await Store.GetRevisionAsync(older, CancellationToken.None));
        Assert.Equal(newer, Assert.Single(await Store.GetCurrentRevisionsAsync(name, CancellationToken.None)).DeploymentId);
        Assert.DoesNotContain(await Store.GetReservationsAsync(CancellationToken.None), r => r.DeploymentId == older);
    }

    [Fact]
    public async Task SavePlanAsync_ARequestMadeEarlierButAcceptedAfterTheOtherWasPlanned_IsTheNextRevision()
    {
        var name = Specs.UniqueName("skew");
        var (first, late) = (Guid.NewGuid(), Guid.NewGuid());

        await Store.SavePlanAsync(first, Specs.Make(name, 1), "test", new RequestTimes(At, At), [Placement(0, 21012)], [], At, CancellationToken.None);
        var revision = await Store.SavePlanAsync(late, Specs.Make(name, 2), "test", new RequestTimes(At.AddMinutes(-1), At.AddSeconds(10)), [Placement(0, 21013)], [], At.AddSeconds(10), CancellationToken.None);

        Assert.Equal(2, revision);
        Assert.Equal(late, Assert.Single(await Store.GetCurrentRevisionsAsync(name, CancellationToken.None)).DeploymentId);
    }

    [Fact]
    public async Task SavePlanAsync_SameDeploymentIdTwice_ReturnsTheFirstRevisionAndStoresNoDuplicates()
    {
        var name = Specs.UniqueName("dup");
        var spec = Specs.Make(name, 2);
        var id = Guid.NewGuid();
        var placements = new[] { Placement(0, 21000), Placement(1, 21001) };

        var first = await SaveAsync(id, spec, placements);
        var again = await SaveAsync(id, spec, placements);
        var otherPlan = await SaveAsync(id, spec, Placement(0, 22000), Placement(1, 22001));

        Assert.Equal(1, first);
        Assert.Equal(1, again);
        Assert.Equal(1, otherPlan);
        Assert.Equal([0, 1], (await Store.GetReplicasAsync(id, CancellationToken.None)).Select(r => r.Index));
        Assert.Equal([21000, 21001], (await ReservationsAsync()).Select(r => r.HostPort).Order());
        Assert.Equal(1, Assert.Single(await Store.GetCurrentRevisionsAsync(name, CancellationToken.None)).Revision);
    }

    [Fact]
    public async Task SavePlanAsync_MoreReplicasThanOneInsertTakes_StoresEveryReplicaAndReservation()
    {
        // 250 replicas with two ports each: the inserts go in chunks, and every row of every chunk must land.
        var id = Guid.NewGuid();
        var placements = Enumerable.Range(0, 250)
            .Select(i => new ReplicaPlacement(i, $"{_host}-{i % 7}", [new PortBinding(8080, 21000 + i, Protocol.Tcp), new PortBinding(8081, 23000 + i, Protocol.Udp)]))
            .ToArray();

        await SaveAsync(id, Specs.Make(Specs.UniqueName("wide"), 250), placements);

        var replicas = await Store.GetReplicasAsync(id, CancellationToken.None);
        Assert.Equal(Enumerable.Range(0, 250), replicas.Select(r => r.Index));
        Assert.All(replicas, r =>
        {
            Assert.Equal(placements[r.Index].HostId, r.HostId);
            Assert.Equal(placements[r.Index].Ports, r.Ports);
        });
        var reservations = (await Store.GetReservationsAsync(CancellationToken.None)).Where(r => r.DeploymentId == id).ToList();
        Assert.Equal(500, reservations.Count);
        Assert.Equal(
            placements.SelectMany(p => p.Ports.Select(b => (p.HostId, b.HostPort, b.Protocol, p.Index))).Order(),
            reservations.Select(r => (r.HostId, r.HostPort, r.Protocol, r.Index)).Order());
    }

    [Fact]
    public async Task SavePlanAsync_SecondDeploymentOnAReservedHostPort_ThrowsConcurrencyConflictAndStoresNothing()
    {
        var winner = Guid.NewGuid();
        var loser = Guid.NewGuid();
        var loserName = Specs.UniqueName("loser");
        await SaveAsync(winner, Specs.Make(Specs.UniqueName("winner"), 1), Placement(0, 18080));

        await Assert.ThrowsAsync<ConcurrencyConflictException>(() => SaveAsync(loser, Specs.Make(loserName, 1), Placement(0, 18080)));

        Assert.Null(await Store.GetRevisionAsync(loser, CancellationToken.None));
        Assert.Empty(await Store.GetCurrentRevisionsAsync(loserName, CancellationToken.None));
        Assert.Empty(await Store.GetReplicasAsync(loser, CancellationToken.None));
        Assert.Equal(winner, Assert.Single(await ReservationsAsync()).DeploymentId);
    }

    [Fact]
    public async Task SavePlanAsync_SamePortNumberOnAnotherProtocol_IsNoConflict()
    {
        await SaveAsync(Guid.NewGuid(), Specs.Make(Specs.UniqueName("tcp"), 1), Placement(0, 18080, Protocol.Tcp));

        await SaveAsync(Guid.NewGuid(), Specs.Make(Specs.UniqueName("udp"), 1), Placement(0, 18080, Protocol.Udp));

        Assert.Equal([Protocol.Tcp, Protocol.Udp], (await ReservationsAsync()).Select(r => r.Protocol).Order());
    }

    [Fact]
    public async Task SavePlanAsync_TwoDeploymentsRacingForOneHostPort_ExactlyOneWinsEveryRound()
    {
        var first = Store;
        var second = await OpenAsync(SharedDatabase, migrate: false);
        for (var round = 0; round < 20; round++)
        {
            var port = 30000 + round;
            var a = Guid.NewGuid();
            var b = Guid.NewGuid();

            var outcomes = await Task.WhenAll(
                Task.Run(() => TrySaveAsync(first, a, Specs.Make(Specs.UniqueName("race-a"), 1), Placement(0, port))),
                Task.Run(() => TrySaveAsync(second, b, Specs.Make(Specs.UniqueName("race-b"), 1), Placement(0, port))));

            Assert.Equal(1, outcomes.Count(won => won));
            var holder = Assert.Single(await ReservationsAsync(), r => r.HostPort == port).DeploymentId;
            Assert.Equal(outcomes[0] ? a : b, holder);
            Assert.Null(await Store.GetRevisionAsync(outcomes[0] ? b : a, CancellationToken.None));
        }
    }

    [Fact]
    public async Task UpdateReplicaAsync_StartedAfterStopped_ReturnsFalseAndStaysStopped()
    {
        var id = Guid.NewGuid();
        await SaveAsync(id, Specs.Make(Specs.UniqueName("late"), 1), Placement(0, 21000));

        var stopped = await Store.UpdateReplicaAsync(id, 0, ReplicaState.Stopped, null, null, null, At, CancellationToken.None);
        var started = await Store.UpdateReplicaAsync(id, 0, ReplicaState.Running, "late-container", null, null, At, CancellationToken.None);

        Assert.True(stopped);
        Assert.False(started);
        var replica = Assert.Single(await Store.GetReplicasAsync(id, CancellationToken.None));
        Assert.Equal(ReplicaState.Stopped, replica.State);
        Assert.Null(replica.ContainerId);
    }

    [Fact]
    public async Task UpdateReplicaAsync_RunningTwice_ChangesOnlyOnceAndKeepsContainerAndPorts()
    {
        var id = Guid.NewGuid();
        await SaveAsync(id, Specs.Make(Specs.UniqueName("run"), 1), Placement(0, 21000));
        PortBinding[] bound = [new(8080, 21000, Protocol.Tcp)];

        Assert.True(await Store.UpdateReplicaAsync(id, 0, ReplicaState.Running, "c1", bound, null, At, CancellationToken.None));
        Assert.False(await Store.UpdateReplicaAsync(id, 0, ReplicaState.Running, "c2", bound, null, At, CancellationToken.None));

        var replica = Assert.Single(await Store.GetReplicasAsync(id, CancellationToken.None));
        Assert.Equal((ReplicaState.Running, "c1"), (replica.State, replica.ContainerId));
        Assert.Equal(bound, replica.Ports);
    }

    [Theory]
    [InlineData(ReplicaState.Failed)]
    [InlineData(ReplicaState.Stopped)]
    [InlineData(ReplicaState.Lost)]
    public async Task UpdateReplicaAsync_EndsAfterItsStartExpired_ReleasesThatReplicasPorts(ReplicaState state)
    {
        var id = Guid.NewGuid();
        await SaveAsync(id, Specs.Make(Specs.UniqueName("free"), 2), Placement(0, 21000), Placement(1, 21001));

        Assert.True(await Store.UpdateReplicaAsync(id, 0, state, null, null, "gone", At + new FunctionsOptions().CommandTimeToLive, CancellationToken.None));

        Assert.Equal([(21001, 1)], (await ReservationsAsync()).Select(r => (r.HostPort, r.Index)));
        var next = Guid.NewGuid();
        await SaveAsync(next, Specs.Make(Specs.UniqueName("next"), 1), Placement(0, 21000));
        Assert.Contains(await ReservationsAsync(), r => r.HostPort == 21000 && r.DeploymentId == next);
    }

    [Fact]
    public async Task UpdateReplicaAsync_Stopping_KeepsThePortsReserved()
    {
        var id = Guid.NewGuid();
        await SaveAsync(id, Specs.Make(Specs.UniqueName("stopping"), 1), Placement(0, 21000));

        Assert.True(await Store.UpdateReplicaAsync(id, 0, ReplicaState.Stopping, null, null, null, At, CancellationToken.None));

        Assert.Equal(id, Assert.Single(await ReservationsAsync()).DeploymentId);
    }

    [Fact]
    public async Task SavePlanAsync_DisplacedReplicas_BecomeStoppingAndTheirPortsMoveToTheNewRevision()
    {
        var name = Specs.UniqueName("handover");
        var old = Guid.NewGuid();
        var next = Guid.NewGuid();
        await SaveAsync(old, Specs.Make(name, 2), Placement(0, 18080), Placement(1, 18081));
        var displaced = (await ReservationsAsync()).Where(r => r.HostPort == 18080).ToList();

        var revision = await Store.SavePlanAsync(next, Specs.Make(name, 1), "test", [Placement(0, 18080)], displaced, At, CancellationToken.None);

        Assert.Equal(2, revision);
        var oldReplicas = await Store.GetReplicasAsync(old, CancellationToken.None);
        Assert.Equal([ReplicaState.Stopping, ReplicaState.Pending], oldReplicas.Select(r => r.State));
        var reservations = await ReservationsAsync();
        Assert.Equal((next, 0), reservations.Where(r => r.HostPort == 18080).Select(r => (r.DeploymentId, r.Index)).Single());
        Assert.Equal((old, 1), reservations.Where(r => r.HostPort == 18081).Select(r => (r.DeploymentId, r.Index)).Single());
    }

    [Fact]
    public async Task RecordRejectionAsync_CalledTwice_KeepsTheFirstRecord()
    {
        var id = Guid.NewGuid();
        var name = Specs.UniqueName("rejected");
        var problem = new SpecProblem("test.yaml", 3, 11, "replicas", "replicas.range", "must be between 1 and 10000, got 0");

        await Store.RecordRejectionAsync(id, name, "the spec is invalid: 1 problem(s)", [problem], "alice", At, CancellationToken.None);
        await Store.RecordRejectionAsync(id, name, "something else", [], "bob", At.AddMinutes(1), CancellationToken.None);

        var record = await Store.GetRevisionAsync(id, CancellationToken.None);
        Assert.NotNull(record);
        Assert.Equal((DeploymentState.Rejected, 0L, "the spec is invalid: 1 problem(s)", "alice", At), (record.State, record.Revision, record.Reason, record.RequestedBy, record.UpdatedAt));
        Assert.Equal([problem], record.Problems);
        Assert.Null(record.Spec);
        Assert.Empty(await Store.GetCurrentRevisionsAsync(name, CancellationToken.None));
    }

    [Fact]
    public async Task RecordRejectionAsync_TwoRejectionsOfOneName_BothKept()
    {
        var name = Specs.UniqueName("rejected");
        var first = Guid.NewGuid();
        var second = Guid.NewGuid();

        await Store.RecordRejectionAsync(first, name, "one", [], "alice", At, CancellationToken.None);
        await Store.RecordRejectionAsync(second, name, "two", [], "alice", At, CancellationToken.None);

        Assert.Equal("one", (await Store.GetRevisionAsync(first, CancellationToken.None))!.Reason);
        Assert.Equal("two", (await Store.GetRevisionAsync(second, CancellationToken.None))!.Reason);
    }

    [Fact]
    public async Task UpsertHostAsync_OlderHeartbeatArrivesLater_KeepsTheNewer()
    {
        await Store.UpsertHostAsync(Heartbeat(At.AddSeconds(10), cpuFree: 1000), At.AddSeconds(11), CancellationToken.None);

        await Store.UpsertHostAsync(Heartbeat(At, cpuFree: 3000), At.AddSeconds(12), CancellationToken.None);

        var host = await HostAsync();
        Assert.Equal((At.AddSeconds(10), 1000L, At.AddSeconds(11)), (host.Heartbeat.Timestamp, host.Heartbeat.CpuFreeMillicores, host.ReceivedAt));
    }

    [Fact]
    public async Task UpsertHostAsync_NewerHeartbeat_ReplacesTheStoredOne()
    {
        await Store.UpsertHostAsync(Heartbeat(At, cpuFree: 1000), At, CancellationToken.None);

        await Store.UpsertHostAsync(Heartbeat(At.AddSeconds(5), cpuFree: 2500, taken: new HostPort(18080, Protocol.Udp)), At.AddSeconds(6), CancellationToken.None);

        var host = await HostAsync();
        Assert.Equal((2500L, At.AddSeconds(6)), (host.Heartbeat.CpuFreeMillicores, host.ReceivedAt));
        Assert.Equal([new HostPort(18080, Protocol.Udp)], host.Heartbeat.PortsInUse);
        Assert.Equal("eu-1", host.Heartbeat.Labels["zone"]);
    }

    [Fact]
    public async Task GetHostsAsync_NewerHeartbeatStoredByAnotherProcess_IsTheOneRead()
    {
        await Store.UpsertHostAsync(Heartbeat(At, cpuFree: 1000), At, CancellationToken.None);
        Assert.Equal(1000L, (await HostAsync()).Heartbeat.CpuFreeMillicores);
        var other = await OpenAsync(SharedDatabase, migrate: false);

        await other.UpsertHostAsync(Heartbeat(At.AddSeconds(5), cpuFree: 1500), At.AddSeconds(6), CancellationToken.None);

        var host = await HostAsync();
        Assert.Equal((1500L, At.AddSeconds(6)), (host.Heartbeat.CpuFreeMillicores, host.ReceivedAt));
    }

    [Fact]
    public async Task GetActiveReplicaLimitsAsync_PlannedReplicas_CarryTheirSpecsLimitsUntilStopped()
    {
        var name = Specs.UniqueName("limits");
        var id = Guid.NewGuid();
        await SaveAsync(id, Specs.Make(name, 1, "resources:\n  cpu: 250m\n  memory: 64Mi\n"), Placement(0, 21500));

        var limits = Assert.Single(await Store.GetActiveReplicaLimitsAsync(CancellationToken.None), l => l.Name == name);
        await Store.UpdateReplicaAsync(id, 0, ReplicaState.Stopped, null, null, null, At, CancellationToken.None);

        Assert.Equal((_host, 250L, 64L << 20), (limits.HostId, limits.CpuMillicores, limits.MemoryBytes));
        Assert.DoesNotContain(await Store.GetActiveReplicaLimitsAsync(CancellationToken.None), l => l.Name == name);
    }

    [Fact]
    public async Task GetReplicasOnHostAsync_ReplicaEndedBeforeTheWindow_IsLeftOutButStillFoundByItsKey()
    {
        var name = Specs.UniqueName("window");
        var id = Guid.NewGuid();
        await SaveAsync(id, Specs.Make(name, 2), Placement(0, 21600), Placement(1, 21601));
        await Store.UpdateReplicaAsync(id, 0, ReplicaState.Stopped, null, null, null, At, CancellationToken.None);

        var window = await Store.GetReplicasOnHostAsync(_host, At.AddSeconds(1), CancellationToken.None);
        var wider = await Store.GetReplicasOnHostAsync(_host, At, CancellationToken.None);
        var found = await Store.FindReplicaOnHostAsync(_host, name, 1, 0, CancellationToken.None);

        Assert.Equal([1], window.Where(r => r.Name == name).Select(r => r.Index));
        Assert.Equal([0, 1], wider.Where(r => r.Name == name).Select(r => r.Index).Order());
        Assert.Equal((id, ReplicaState.Stopped), (found!.DeploymentId, found.State));
        Assert.Null(await Store.FindReplicaOnHostAsync("another-host", name, 1, 0, CancellationToken.None));
    }

    [Fact]
    public async Task ForgetDeploymentAsync_KnownName_RemovesItFromCurrentOnceAndKeepsTheHistory()
    {
        var name = Specs.UniqueName("forget");
        var id = Guid.NewGuid();
        await SaveAsync(id, Specs.Make(name, 1), Placement(0, 21000));

        var forgotten = await Store.ForgetDeploymentAsync(name, CancellationToken.None);
        var again = await Store.ForgetDeploymentAsync(name, CancellationToken.None);

        Assert.True(forgotten);
        Assert.False(again);
        Assert.Empty(await Store.GetCurrentRevisionsAsync(name, CancellationToken.None));
        Assert.NotNull(await Store.GetRevisionAsync(id, CancellationToken.None));
    }

    [Fact]
    public async Task GetOlderActiveRevisionsAsync_OlderRevisionFullyStopped_IsNoLongerListed()
    {
        var name = Specs.UniqueName("older");
        var old = Guid.NewGuid();
        await SaveAsync(old, Specs.Make(name, 1), Placement(0, 21000));
        await SaveAsync(Guid.NewGuid(), Specs.Make(name, 1), Placement(0, 21001));

        var before = await Store.GetOlderActiveRevisionsAsync(name, 2, CancellationToken.None);
        await Store.UpdateReplicaAsync(old, 0, ReplicaState.Stopped, null, null, null, At, CancellationToken.None);
        var after = await Store.GetOlderActiveRevisionsAsync(name, 2, CancellationToken.None);

        Assert.Equal(old, Assert.Single(before).DeploymentId);
        Assert.Empty(after);
    }

    [Fact]
    public async Task AddReplicasAsync_ToARevisionBeingDeleted_ReturnsFalseAndAddsNothing()
    {
        var id = Guid.NewGuid();
        var name = Specs.UniqueName("deleting");
        await SaveAsync(id, Specs.Make(name, 1), Placement(0, 21000));
        await Store.TransitionRevisionAsync(id, [DeploymentState.Pending], DeploymentState.Deleting, null, At, CancellationToken.None);

        var added = await Store.AddReplicasAsync(id, name, 1, [Placement(1, 21001)], [], At, CancellationToken.None);

        Assert.False(added);
        Assert.Equal([0], (await Store.GetReplicasAsync(id, CancellationToken.None)).Select(r => r.Index));
        Assert.DoesNotContain(await ReservationsAsync(), r => r.HostPort == 21001);
    }

    [Fact]
    public async Task AddReplicasAsync_RacingADeleteFromAnotherStore_EitherTheDeleteFindsTheReplicaOrItIsNotAdded()
    {
        // A delete marks the revision deleting and then reads its replicas to stop them; a rollout or a replacement
        // adds replicas at the same moment. Whatever the order, no replica may be added that the delete did not see.
        var other = await OpenAsync(SharedDatabase, migrate: false);
        for (var round = 0; round < 20; round++)
        {
            var id = Guid.NewGuid();
            var name = Specs.UniqueName("race-delete");
            await SaveAsync(id, Specs.Make(name, 2), Placement(0, 22000 + round));

            var results = await Task.WhenAll(
                Task.Run(async () =>
                {
                    await other.TransitionRevisionAsync(id, [DeploymentState.Pending], DeploymentState.Deleting, null, At, CancellationToken.None);
                    return (Added: false, Seen: (await other.GetReplicasAsync(id, CancellationToken.None)).Select(r => r.Index).ToList());
                }),
                Task.Run(async () => (Added: await Store.AddReplicasAsync(id, name, 1, [Placement(1, 23000 + round)], [], At, CancellationToken.None), Seen: new List<int>())));

            var stored = (await Store.GetReplicasAsync(id, CancellationToken.None)).Select(r => r.Index).Order().ToList();
            Assert.Equal(results[1].Added ? [0, 1] : [0], stored);
            Assert.Equal(stored, results[0].Seen.Order());
        }
    }

    [Fact]
    public async Task TransitionRevisionAsync_FromAStateItIsNotIn_ReturnsFalseAndChangesNothing()
    {
        var id = Guid.NewGuid();
        await SaveAsync(id, Specs.Make(Specs.UniqueName("state"), 1), Placement(0, 21000));

        Assert.True(await Store.TransitionRevisionAsync(id, [DeploymentState.Pending], DeploymentState.Running, null, At, CancellationToken.None));
        Assert.False(await Store.TransitionRevisionAsync(id, [DeploymentState.Pending], DeploymentState.Failed, "too late", At, CancellationToken.None));

        var record = await Store.GetRevisionAsync(id, CancellationToken.None);
        Assert.Equal((DeploymentState.Running, (string?)null), (record!.State, record.Reason));
    }

    [Fact]
    public async Task GetRevisionsAsync_WithAFilter_ReadsOnlyThoseStatesBelowTheNumberNewestFirstUpToTheLimit()
    {
        var name = Specs.UniqueName("filter");
        var ids = Enumerable.Range(0, 4).Select(_ => Guid.NewGuid()).ToList();
        foreach (var (id, i) in ids.Select((id, i) => (id, i)))
        {
            await SaveAsync(id, Specs.Make(name, 1), Placement(0, 21000 + i));
        }

        await Store.TransitionRevisionAsync(ids[1], [DeploymentState.Pending], DeploymentState.Running, null, At, CancellationToken.None);
        await Store.TransitionRevisionAsync(ids[2], [DeploymentState.Pending], DeploymentState.Running, null, At, CancellationToken.None);

        var running = await Store.GetRevisionsAsync(name, new RevisionFilter([DeploymentState.Running]), CancellationToken.None);
        var pendingBelowFour = await Store.GetRevisionsAsync(name, new RevisionFilter([DeploymentState.Pending], Below: 4), CancellationToken.None);
        var newestRunningBelowThree = await Store.GetRevisionsAsync(name, new RevisionFilter([DeploymentState.Running], Below: 3, Limit: 1), CancellationToken.None);
        var newest = await Store.GetRevisionsAsync(name, new RevisionFilter(Limit: 1), CancellationToken.None);

        Assert.Equal([3L, 2L], running.Select(r => r.Revision));
        Assert.Equal([1L], pendingBelowFour.Select(r => r.Revision));
        Assert.Equal([2L], newestRunningBelowThree.Select(r => r.Revision));
        Assert.Equal([4L], newest.Select(r => r.Revision));
        Assert.Equal([4L, 3L, 2L, 1L], (await Store.GetRevisionsAsync(name, CancellationToken.None)).Select(r => r.Revision));
    }

    [Fact]
    public async Task MarkRunningAndUpdateHealth_InBatches_MoveOnlyWhatOneAtATimeWouldAndCountIt()
    {
        var name = Specs.UniqueName("batch");
        var id = Guid.NewGuid();
        await SaveAsync(id, Specs.Make(name, 3), Placement(0, 21310), Placement(1, 21311), Placement(2, 21312));
        await Store.UpdateReplicaAsync(id, 2, ReplicaState.Stopped, null, null, null, At.AddSeconds(1), CancellationToken.None);
        ReplicaStarted Started(int index) => new(Guid.NewGuid(), id, At, _host, name, 1, index, $"c{index}", [new PortBinding(8080, 21310 + index, Protocol.Tcp)]);
        ReplicaHealthChanged Healthy(int index, int second) => new(Guid.NewGuid(), id, At.AddSeconds(second), _host, name, 1, index, $"c{index}", ReplicaHealth.Healthy, null);

        var moved = await Store.MarkRunningAsync([Started(1), Started(0), Started(2)], At.AddSeconds(2), CancellationToken.None);
        var movedAgain = await Store.MarkRunningAsync([Started(0)], At.AddSeconds(3), CancellationToken.None);
        var healthy = await Store.UpdateReplicaHealthAsync([Healthy(0, 4), Healthy(1, 4), Healthy(2, 4)], CancellationToken.None);
        var healthyAgain = await Store.UpdateReplicaHealthAsync([Healthy(0, 5)], CancellationToken.None);

        Assert.Equal((2, 0, 2, 0), (moved, movedAgain, healthy, healthyAgain));
        var replicas = await Store.GetReplicasAsync(id, CancellationToken.None);
        Assert.Equal(
            [(ReplicaState.Running, "c0", (ReplicaHealth?)ReplicaHealth.Healthy), (ReplicaState.Running, "c1", ReplicaHealth.Healthy), (ReplicaState.Stopped, null, null)],
            replicas.Select(r => (r.State, r.ContainerId, r.Health)));
        Assert.Equal(21311, Assert.Single(replicas[1].Ports).HostPort);
    }

    [Fact]
    public async Task MarkRunningAndUpdateHealth_OfNoReplicas_ChangeNothing()
    {
        Assert.Equal(0, await Store.MarkRunningAsync([], At, CancellationToken.None));
        Assert.Equal(0, await Store.UpdateReplicaHealthAsync([], CancellationToken.None));
    }

    [Fact]
    public async Task GetHostKeysAsync_ForSeveralHosts_ReturnsThoseWithKeysPinned()
    {
        var (a, b, none) = (_host + "-ka", _host + "-kb", _host + "-kn");
        await Store.PinHostKeysAsync(a, new AgentIdentity("sign-a", "seal-a"), At, CancellationToken.None);
        await Store.PinHostKeysAsync(b, new AgentIdentity("sign-b", "seal-b"), At, CancellationToken.None);

        var keys = await Store.GetHostKeysAsync([a, b, none], CancellationToken.None);

        Assert.Equal([(a, "sign-a", "seal-a"), (b, "sign-b", "seal-b")], keys.OrderBy(k => k.Key, StringComparer.Ordinal).Select(k => (k.Key, k.Value.SigningKey, k.Value.SealingKey)));
        Assert.Empty(await Store.GetHostKeysAsync([], CancellationToken.None));
    }

    [Fact]
    public async Task Events_AReplicaAndItsRevisionMoveThroughTheirStates_EachChangeIsRecordedOnceInOrderWithItsReason()
    {
        var name = Specs.UniqueName("ev");
        var id = Guid.NewGuid();
        await Store.UpsertHostAsync(Heartbeat(At, cpuFree: 1000), At, CancellationToken.None);
        await Store.UpsertHostAsync(Heartbeat(At.AddSeconds(5), cpuFree: 900), At.AddSeconds(5), CancellationToken.None);
        await SaveAsync(id, Specs.Make(name, 1), Placement(0, 21300));
        await Store.UpdateReplicaAsync(id, 0, ReplicaState.Running, "c1", null, null, At.AddSeconds(1), CancellationToken.None);
        await Store.UpdateReplicaHealthAsync(id, 0, ReplicaHealth.Healthy, "c1", null, At.AddSeconds(2), CancellationToken.None);
        await Store.TransitionRevisionAsync(id, [DeploymentState.Pending], DeploymentState.Running, null, At.AddSeconds(2), CancellationToken.None);
        await Store.UpdateReplicaHealthAsync(id, 0, ReplicaHealth.Unhealthy, "c1", "GET /healthz -> 503", At.AddSeconds(3), CancellationToken.None);
        await Store.UpdateReplicaHealthAsync(id, 0, ReplicaHealth.Unhealthy, "c1", "GET /healthz -> 503", At.AddSeconds(4), CancellationToken.None);
        await Store.UpdateReplicaAsync(id, 0, ReplicaState.Lost, null, null, "host went silent", At.AddSeconds(5), CancellationToken.None);

        var events = await Store.GetEventsAsync(new EventQuery(name), CancellationToken.None);

        Assert.Equal(
            ["deployment.accepted", "replica.placed", "replica.running", "replica.healthy", "deployment.running", "replica.unhealthy", "replica.lost"],
            events.Select(e => e.Kind));
        Assert.True(events.Zip(events.Skip(1)).All(p => p.First.Sequence < p.Second.Sequence), "sequences increase");
        Assert.Equal("GET /healthz -> 503", events.Single(e => e.Kind == "replica.unhealthy").Message);
        Assert.Equal("host went silent", events.Single(e => e.Kind == "replica.lost").Message);
        Assert.All(events.Where(e => e.Kind.StartsWith("replica.", StringComparison.Ordinal)), e => Assert.Equal((1L, _host, (int?)0), (e.Revision!.Value, e.HostId!, e.Replica)));
        Assert.Equal(At.AddSeconds(3), events.Single(e => e.Kind == "replica.unhealthy").At);
        var joined = (await Store.GetEventsAsync(new EventQuery(Limit: 1000), CancellationToken.None)).Where(e => e.HostId == _host && e.Kind.StartsWith("host.", StringComparison.Ordinal));
        Assert.Equal("host.joined", Assert.Single(joined).Kind);
    }

    [Fact]
    public async Task Events_AfterASequenceAndLimited_FollowOnWithTheNewestOldestFirst()
    {
        var name = Specs.UniqueName("ev");
        var id = Guid.NewGuid();
        await SaveAsync(id, Specs.Make(name, 3), Placement(0, 21310), Placement(1, 21311), Placement(2, 21312));
        var first = await Store.GetEventsAsync(new EventQuery(name), CancellationToken.None);
        await Store.UpdateReplicaAsync(id, 2, ReplicaState.Failed, null, null, "image not found", At.AddSeconds(1), CancellationToken.None);

        var after = await Store.GetEventsAsync(new EventQuery(name, After: first[^1].Sequence), CancellationToken.None);
        var newest = await Store.GetEventsAsync(new EventQuery(name, Limit: 2), CancellationToken.None);

        Assert.Equal(4, first.Count);
        Assert.Equal(("replica.failed", (int?)2, "image not found"), (Assert.Single(after).Kind, after[0].Replica, after[0].Message));
        Assert.Equal([first[^1].Sequence, after[0].Sequence], newest.Select(e => e.Sequence));
    }

    [Fact]
    public async Task AppendEventAsync_SameKeyTwice_IsRecordedOnceAndPruneForgetsOnlyTheOld()
    {
        var host = "h-" + Guid.NewGuid().ToString("N")[..10];
        var key = $"host.lost:{host}:1";
        var lost = new WorkersEvent(0, At.AddDays(-3), "host.lost", null, null, host, null, "no heartbeat for 30s");

        var firstTime = await Store.AppendEventAsync(lost, key, CancellationToken.None);
        var secondTime = await Store.AppendEventAsync(lost with { At = At.AddDays(-2) }, key, CancellationToken.None);
        await Store.AppendEventAsync(lost with { Kind = "host.returned", At = At }, null, CancellationToken.None);
        var pruned = await Store.PruneEventsAsync(At.AddDays(-1), CancellationToken.None);

        Assert.Equal((true, false), (firstTime, secondTime));
        Assert.True(pruned >= 1, $"pruned {pruned}");
        var left = (await Store.GetEventsAsync(new EventQuery(Limit: 1000), CancellationToken.None)).Where(e => e.HostId == host).ToList();
        Assert.Equal(("host.returned", At), (Assert.Single(left).Kind, left[0].At));
    }

    private async Task<SqlDeploymentStore> OpenAsync(string database, bool migrate)
    {
        var dialect = CreateDialect(database);
        _dialects.Add(dialect);
        var store = new SqlDeploymentStore(dialect);
        if (migrate)
        {
            await store.MigrateAsync(CancellationToken.None);
        }

        return store;
    }

    private async Task<long> SchemaVersionRowsAsync(string database)
    {
        var dialect = CreateDialect(database);
        _dialects.Add(dialect);
        await using var connection = dialect.CreateConnection();
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT COUNT(*) FROM schema_version";
        return Convert.ToInt64(await command.ExecuteScalarAsync(), CultureInfo.InvariantCulture);
    }

    private async Task AssertSchemaWorksAsync(SqlDeploymentStore store)
    {
        var id = Guid.NewGuid();
        var revision = await store.SavePlanAsync(id, Specs.Make("schema", 1), "test", [Placement(0, 21000)], [], At, CancellationToken.None);
        Assert.Equal(1, revision);
        Assert.Equal(id, Assert.Single(await store.GetCurrentRevisionsAsync("schema", CancellationToken.None)).DeploymentId);
    }

    [Fact]
    public async Task UpdateReplicaAsync_ReplicaEndsBeforeItsStartExpired_HoldsItsDynamicPortOnItsHostUntilTheExpiry()
    {
        var ended = Guid.NewGuid();
        var expiry = At + new FunctionsOptions().CommandTimeToLive;
        await SaveAsync(ended, Specs.Make(Specs.UniqueName("held"), 1), Placement(0, 21500));

        // Stopped before its start arrived: a duplicated or redelivered start may still bring it up on 21500.
        Assert.True(await Store.UpdateReplicaAsync(ended, 0, ReplicaState.Stopped, null, null, null, At.AddSeconds(2), CancellationToken.None));

        Assert.Equal(expiry, Assert.Single(await ReservationsAsync()).HeldUntil);
        Assert.False(await TrySaveAsync(Store, Guid.NewGuid(), Specs.Make(Specs.UniqueName("same-host"), 1), Placement(0, 21500)));
        Assert.True(await TrySaveAsync(Store, Guid.NewGuid(), Specs.Make(Specs.UniqueName("other-host"), 1), new ReplicaPlacement(0, _host + "-b", [new PortBinding(8080, 21500, Protocol.Tcp)])));

        await Store.ReleaseHeldPortsAsync(expiry.AddMilliseconds(-1), CancellationToken.None);
        Assert.Single(await ReservationsAsync());

        await Store.ReleaseHeldPortsAsync(expiry, CancellationToken.None);
        Assert.Empty(await ReservationsAsync());
        Assert.True(await TrySaveAsync(Store, Guid.NewGuid(), Specs.Make(Specs.UniqueName("same-host"), 1), Placement(0, 21500)));
    }

    [Fact]
    public async Task UpdateReplicaAsync_ReplacementLostBeforeItsStartExpired_HoldsItsDynamicPortUntilTheExpiry()
    {
        var id = Guid.NewGuid();
        var name = Specs.UniqueName("held-add");
        await SaveAsync(id, Specs.Make(name, 1), Placement(0, 21502));
        Assert.True(await Store.AddReplicasAsync(id, name, 1, [Placement(1, 21503)], [], At.AddMinutes(1), CancellationToken.None));

        Assert.True(await Store.UpdateReplicaAsync(id, 1, ReplicaState.Lost, null, null, "no result", At.AddMinutes(2), CancellationToken.None));

        var held = Assert.Single(await ReservationsAsync(), r => r.HostPort == 21503);
        Assert.Equal(At.AddMinutes(1) + new FunctionsOptions().CommandTimeToLive, held.HeldUntil);
    }

    [Fact]
    public async Task UpdateReplicaAsync_ReplicaWithAHostPortItsSpecFixesEnds_FreesThatPortAtOnce()
    {
        var id = Guid.NewGuid();
        await SaveAsync(id, Specs.Make(Specs.UniqueName("fixed"), 1, "ports:\n  - container: 8080\n    host: 21505\n"), Placement(0, 21505));

        Assert.True(await Store.UpdateReplicaAsync(id, 0, ReplicaState.Failed, null, null, "exited", At.AddSeconds(2), CancellationToken.None));

        Assert.Empty(await ReservationsAsync());
    }

    private ReplicaPlacement Placement(int index, int hostPort, Protocol protocol = Protocol.Tcp) =>
        new(index, _host, [new PortBinding(8080, hostPort, protocol)]);

    private Task<long> SaveAsync(Guid id, DeploymentSpec spec, params ReplicaPlacement[] placements) =>
        Store.SavePlanAsync(id, spec, "test", placements, [], At, CancellationToken.None);

    private static async Task<bool> TrySaveAsync(SqlDeploymentStore store, Guid id, DeploymentSpec spec, ReplicaPlacement placement)
    {
        try
        {
            await store.SavePlanAsync(id, spec, "test", [placement], [], At, CancellationToken.None);
            return true;
        }
        catch (ConcurrencyConflictException)
        {
            return false;
        }
    }

    private async Task<List<PortReservation>> ReservationsAsync() =>
        [.. (await Store.GetReservationsAsync(CancellationToken.None)).Where(r => r.HostId == _host)];

    private async Task<HostRecord> HostAsync() =>
        Assert.Single(await Store.GetHostsAsync(CancellationToken.None), h => h.Heartbeat.HostId == _host);

    private HostHeartbeat Heartbeat(DateTimeOffset timestamp, long cpuFree, params HostPort[] taken) => new(
        Guid.NewGuid(), Guid.NewGuid(), timestamp, _host, new Dictionary<string, string> { ["zone"] = "eu-1" }, "127.0.0.1",
        4000, 8L << 30, cpuFree, 4L << 30, [], taken);
}
