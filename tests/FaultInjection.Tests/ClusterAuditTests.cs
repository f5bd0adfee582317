using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Docker.DotNet;
using Docker.DotNet.Models;
using Workers.Contracts.Messages;
using Workers.Contracts.Spec;
using Workers.Functions.Store;
using PortBinding = Workers.Contracts.Messages.PortBinding;

namespace Workers.FaultInjection.Tests;

/// <summary>
/// The audit proves it can fail: each test plants, in a real store and on the real Docker engine, the violation one
/// counter counts (containers made as the agent makes them: its name and labels, src/HostAgent/Agent/ContainerLabels.cs)
/// and asserts that the audit reports exactly that, with its details, and nothing else.
/// </summary>
public sealed class ClusterAuditTests(AuditStoreFixture fixture) : IClassFixture<AuditStoreFixture>, IAsyncLifetime
{
    /// <summary>A loopback address of its own, apart from the fault suite's 127.0.0.4-6.</summary>
    private const string BindAddress = "127.0.0.9";

    private readonly string _suffix = Guid.NewGuid().ToString("N")[..6];
    private readonly List<string> _images = [];

    private string Host => $"au-{_suffix}";

    private DockerClient Docker => fixture.Docker;

    private IDeploymentStore Store => fixture.Store;

    public Task InitializeAsync() =>
        Store.UpsertHostAsync(new HostHeartbeat(Guid.NewGuid(), Guid.NewGuid(), DateTimeOffset.UtcNow, Host, new Dictionary<string, string>(), BindAddress, 2000, 1L << 30, 2000, 1L << 30, [], []), DateTimeOffset.UtcNow, CancellationToken.None);

    public async Task DisposeAsync()
    {
        var all = await Docker.Containers.ListContainersAsync(new ContainersListParameters { All = true });
        foreach (var container in all.Where(c => c.Names.Any(n => n.Contains(_suffix, StringComparison.Ordinal))))
        {
            await Docker.Containers.RemoveContainerAsync(container.ID, new ContainerRemoveParameters { Force = true });
        }

        foreach (var image in _images)
        {
            await Docker.Images.DeleteImageAsync(image, new ImageDeleteParameters());
        }
    }

    [Fact]
    public async Task Audit_RogueContainerOnAReservedHostPort_CountsOnePortConflictNamingTheReservationAndTheHolder()
    {
        var name = $"port-{_suffix}";
        var port = FreePort();
        await PlanAsync(name, 1, port);
        var rogue = $"rogue-{_suffix}";
        await RunContainerAsync(rogue, TestImages.Workload, new Dictionary<string, string>(), port);

        var audit = await AuditAsync(ScenarioRecord.Empty);

        Assert.Equal((0, 0, 0, 1, 0), Counters(audit));
        var problem = Assert.Single(audit.Problems);
        Assert.Contains($"{BindAddress}:{port}/tcp is reserved for {name} #0 on {Host}", problem, StringComparison.Ordinal);
        Assert.Contains($"/{rogue}", problem, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Audit_ReservationOnAPortAProcessOutsideWorkersHolds_CountsOnePortConflict()
    {
        var name = $"outside-{_suffix}";
        var port = FreePort();
        await PlanAsync(name, 1, port);

        var audit = await AuditAsync(ScenarioRecord.Empty, new Observations([], [(BindAddress, port)]));

        Assert.Equal((0, 0, 0, 1, 0), Counters(audit));
        Assert.Equal($"port conflict: {BindAddress}:{port}/tcp is reserved for {name} #0 on {Host} but a process outside Workers holds it", Assert.Single(audit.Problems));
    }

    [Fact]
    public async Task Audit_StartTheEngineRefusedForAHeldHostPort_CountsOneRefusedBindWithTheEnginesReason()
    {
        // A real refusal: a second container asking Docker for the address and port the first one holds.
        var port = FreePort();
        await RunContainerAsync($"holder-{_suffix}", TestImages.Workload, new Dictionary<string, string>(), port);
        var refusal = await Assert.ThrowsAsync<DockerApiException>(() => RunContainerAsync($"second-{_suffix}", TestImages.Workload, new Dictionary<string, string>(), port));
        var name = $"refused-{_suffix}";
        var reason = $"container {ReplicaName(name, 1, 0)} could not be started: {refusal.ResponseBody}";
        // Counted from the engine's words even when the agent did not flag it, and a failure of another cause is not.
        var refused = new ReplicaFailed(Guid.NewGuid(), Guid.NewGuid(), DateTimeOffset.UtcNow, Host, name, 1, 0, reason, HostPortTaken: false);
        var other = new ReplicaFailed(Guid.NewGuid(), Guid.NewGuid(), DateTimeOffset.UtcNow, Host, name, 1, 1, "container could not be started: no such image", HostPortTaken: false);

        var audit = await AuditAsync(ScenarioRecord.Empty, new Observations([refused, other], []));

        Assert.Equal((0, 0, 0, 0, 1), Counters(audit));
        Assert.Equal($"refused bind: {name} r1 #0 on {Host}: {reason}", Assert.Single(audit.Problems));
    }

    [Fact]
    public async Task Audit_TwoContainersForOneReplica_CountsOneDuplicateNamingBoth()
    {
        var name = $"dup-{_suffix}";
        var (request, revision) = await RunningAsync(name, 1);
        var labels = Labels(name, request.Id, revision, 0);
        var first = await RunContainerAsync(ReplicaName(name, revision, 0), TestImages.Workload, labels);
        await RunContainerAsync($"{ReplicaName(name, revision, 0)}-copy", TestImages.Workload, labels);
        await Store.UpdateReplicaAsync(request.Id, 0, ReplicaState.Running, first, [], null, DateTimeOffset.UtcNow, CancellationToken.None);

        var audit = await AuditAsync(Scenario(request));

        Assert.Equal((0, 1, 0, 0, 0), Counters(audit));
        var problem = Assert.Single(audit.Problems);
        Assert.Contains("runs 2 times", problem, StringComparison.Ordinal);
        var container = ReplicaName(name, revision, 0);
        var named = problem[(problem.IndexOf('(', problem.IndexOf("times", StringComparison.Ordinal)) + 1)..^1].Split(", ");
        Assert.Equal([$"/{container}", $"/{container}-copy"], named.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Audit_LabelledContainerNoRevisionOwns_CountsOneOrphan()
    {
        var name = $"ghost-{_suffix}";
        var container = ReplicaName(name, 1, 0);
        await RunContainerAsync(container, TestImages.Workload, Labels(name, Guid.NewGuid(), 1, 0));

        var audit = await AuditAsync(ScenarioRecord.Empty);

        Assert.Equal((0, 0, 1, 0, 0), Counters(audit));
        Assert.Equal($"orphan: /{container} (running): its revision is unknown", Assert.Single(audit.Problems));
    }

    [Fact]
    public async Task Audit_ContainerNamedLikeAReplicaWithoutLabels_CountsOneOrphan()
    {
        var container = ReplicaName($"bare-{_suffix}", 1, 0);
        await RunContainerAsync(container, TestImages.Workload, new Dictionary<string, string>());

        var audit = await AuditAsync(ScenarioRecord.Empty);

        Assert.Equal((0, 0, 1, 0, 0), Counters(audit));
        Assert.Equal($"orphan: unlabelled container /{container} (running)", Assert.Single(audit.Problems));
    }

    [Fact]
    public async Task Audit_ContainersRemovedBehindWorkersBackAndNeverRecovered_CountsEveryMissingReplicaAsLost()
    {
        var name = $"gone-{_suffix}";
        var (request, revision) = await RunningAsync(name, 2);
        for (var index = 0; index < 2; index++)
        {
            var id = await RunContainerAsync(ReplicaName(name, revision, index), TestImages.Workload, Labels(name, request.Id, revision, index));
            await Store.UpdateReplicaAsync(request.Id, index, ReplicaState.Running, id, [], null, DateTimeOffset.UtcNow, CancellationToken.None);
            await Docker.Containers.RemoveContainerAsync(id, new ContainerRemoveParameters { Force = true });
        }

        var audit = await AuditAsync(Scenario(request));

        Assert.Equal((2, 0, 0, 0, 0), Counters(audit));
        Assert.Equal($"lost: {name} r{revision} wants 2 replicas of {TestImages.Workload}, Docker runs 0, the store has 2 running", Assert.Single(audit.Problems));
    }

    [Fact]
    public async Task Audit_WrongImageRunningForAReplica_CountsItLostNamingTheImage()
    {
        var name = $"image-{_suffix}";
        var (request, revision) = await RunningAsync(name, 1);
        var wrong = $"workers-test/audit-wrong:{_suffix}";
        await Docker.Images.TagImageAsync(TestImages.Workload, new ImageTagParameters { RepositoryName = "workers-test/audit-wrong", Tag = _suffix });
        _images.Add(wrong);
        var container = ReplicaName(name, revision, 0);
        var id = await RunContainerAsync(container, wrong, Labels(name, request.Id, revision, 0));
        await Store.UpdateReplicaAsync(request.Id, 0, ReplicaState.Running, id, [], null, DateTimeOffset.UtcNow, CancellationToken.None);

        var audit = await AuditAsync(Scenario(request));

        Assert.Equal((1, 0, 0, 0, 0), Counters(audit));
        Assert.Equal($"lost: {name} r{revision} wants 1 replicas of {TestImages.Workload}, Docker runs 0 (/{container} runs the wrong image {wrong}), the store has 1 running", Assert.Single(audit.Problems));
    }

    [Fact]
    public async Task Audit_OlderRevisionCurrentWhileTheNewestRequestRuns_CountsTheNewestLost()
    {
        var name = $"stale-{_suffix}";
        var (older, first) = await RunningAsync(name, 1);
        var (newer, second) = await RunningAsync(name, 1);
        await Store.SetCurrentRevisionAsync(name, older.Id, first, CancellationToken.None);
        var id = await RunContainerAsync(ReplicaName(name, first, 0), TestImages.Workload, Labels(name, older.Id, first, 0));
        await Store.UpdateReplicaAsync(older.Id, 0, ReplicaState.Running, id, [], null, DateTimeOffset.UtcNow, CancellationToken.None);
        await Store.TransitionRevisionAsync(older.Id, [DeploymentState.Pending], DeploymentState.Running, null, DateTimeOffset.UtcNow, CancellationToken.None);

        var audit = await AuditAsync(new ScenarioRecord([older, newer], new HashSet<string>(StringComparer.Ordinal)));

        Assert.Equal((1, 0, 0, 0, 0), Counters(audit));
        Assert.Equal($"lost: the newest request {newer.Id} for {name} (r{second}) is Running but the current revision is r{first}", Assert.Single(audit.Problems));
    }

    [Fact]
    public async Task Audit_NewestRequestFailedWithAReason_IsCountedFailedAndNotLost()
    {
        var name = $"fail-{_suffix}";
        var request = new ScenarioRequest(Guid.NewGuid(), name, 1, TestImages.Workload);
        await PlanAsync(request, null);
        await Store.TransitionRevisionAsync(request.Id, [DeploymentState.Pending], DeploymentState.Failed, "replica 0 failed: no host can take it", DateTimeOffset.UtcNow, CancellationToken.None);
        var silent = new ScenarioRequest(Guid.NewGuid(), $"mute-{_suffix}", 1, TestImages.Workload);
        await PlanAsync(silent, null);
        await Store.TransitionRevisionAsync(silent.Id, [DeploymentState.Pending], DeploymentState.Failed, null, DateTimeOffset.UtcNow, CancellationToken.None);

        var audit = await AuditAsync(new ScenarioRecord([request, silent], new HashSet<string>(StringComparer.Ordinal)));

        Assert.Equal((1, 0, 0, 0, 0), Counters(audit));
        Assert.Equal($"{name} ({request.Id}) Failed: replica 0 failed: no host can take it", Assert.Single(audit.Failed));
        Assert.Contains($"lost: the newest request {silent.Id} for mute-{_suffix} ended Failed without a reason", audit.Problems);
    }

    private Task<AuditResult> AuditAsync(ScenarioRecord scenario, Observations? observed = null) => ClusterAudit.RunAsync(Docker, Store, [Host], scenario, observed ?? Observations.None, CancellationToken.None);

    private static (int Lost, int Duplicates, int Orphans, int PortConflicts, int RefusedBinds) Counters(AuditResult audit) => (audit.Lost, audit.Duplicates, audit.Orphans, audit.PortConflicts, audit.RefusedBinds);

    private static ScenarioRecord Scenario(ScenarioRequest request) => new([request], new HashSet<string>(StringComparer.Ordinal));

    /// <summary>A request planned on this test's host and moved to Running in the store, as the functions would.</summary>
    private async Task<(ScenarioRequest Request, long Revision)> RunningAsync(string name, int replicas)
    {
        var request = new ScenarioRequest(Guid.NewGuid(), name, replicas, TestImages.Workload);
        var revision = await PlanAsync(request, null);
        await Store.TransitionRevisionAsync(request.Id, [DeploymentState.Pending], DeploymentState.Running, null, DateTimeOffset.UtcNow, CancellationToken.None);
        return (request, revision);
    }

    private Task<long> PlanAsync(string name, int replicas, int hostPort) => PlanAsync(new ScenarioRequest(Guid.NewGuid(), name, replicas, TestImages.Workload), hostPort);

    private Task<long> PlanAsync(ScenarioRequest request, int? hostPort)
    {
        var ports = hostPort is null ? string.Empty : $"ports:\n  - container: 8080\n    host: {hostPort.Value.ToString(CultureInfo.InvariantCulture)}\n";
        var parsed = SpecParser.Parse($"name: {request.Name}\nimage: {request.Image}\nreplicas: {request.Replicas.ToString(CultureInfo.InvariantCulture)}\n{ports}", "planted.yaml");
        var spec = parsed.Spec ?? throw new InvalidOperationException(string.Join("; ", parsed.Problems));
        var placements = Enumerable.Range(0, request.Replicas)
            .Select(i => new ReplicaPlacement(i, Host, hostPort is { } port ? [new PortBinding(8080, port, Protocol.Tcp)] : []))
            .ToList();
        return Store.SavePlanAsync(request.Id, spec, "audit-test", placements, [], DateTimeOffset.UtcNow, CancellationToken.None);
    }

    /// <summary>The labels the agent puts on a replica's container.</summary>
    private Dictionary<string, string> Labels(string name, Guid deploymentId, long revision, int index) => new()
    {
        ["workers.deployment"] = name,
        ["workers.deployment-id"] = deploymentId.ToString("D"),
        ["workers.revision"] = revision.ToString(CultureInfo.InvariantCulture),
        ["workers.replica"] = index.ToString(CultureInfo.InvariantCulture),
        ["workers.host"] = Host,
    };

    private string ReplicaName(string name, long revision, int index) => $"{name}-r{revision.ToString(CultureInfo.InvariantCulture)}-{index.ToString(CultureInfo.InvariantCulture)}.{Host}";

    private async Task<string> RunContainerAsync(string name, string image, IDictionary<string, string> labels, int? hostPort = null)
    {
        var created = await Docker.Containers.CreateContainerAsync(new CreateContainerParameters
        {
            Name = name,
            Image = image,
            Labels = labels,
            ExposedPorts = new Dictionary<string, EmptyStruct> { ["8080/tcp"] = default },
            HostConfig = new HostConfig
            {
                PortBindings = hostPort is { } port
                    ? new Dictionary<string, IList<Docker.DotNet.Models.PortBinding>> { ["8080/tcp"] = [new Docker.DotNet.Models.PortBinding { HostIP = BindAddress, HostPort = port.ToString(CultureInfo.InvariantCulture) }] }
                    : new Dictionary<string, IList<Docker.DotNet.Models.PortBinding>>(),
            },
        });
        await Docker.Containers.StartContainerAsync(created.ID, new ContainerStartParameters());
        return created.ID;
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
