using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Workers.Contracts.Messages;
using Workers.Contracts.Spec;
using Workers.HostAgent.Agent;
using Workers.HostAgent.Runtime;
using Workers.HostAgent.Tests.Support;

namespace Workers.HostAgent.Tests.Agent;

/// <summary>
/// A logs request reaches the engine only when the control plane signed it for this host, it has not expired, and it
/// names a container this agent runs for that deployment and replica.
/// </summary>
public sealed class ContainerLogsHandlerTests
{
    private static readonly AgentOptions Options = new(HostId.From("host-a"), new Dictionary<string, string>(), "127.0.0.1", TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(1)) { Keys = TestKeys.Agent, ControlKeys = TestKeys.Trusted };

    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 27, 1, 0, 0, TimeSpan.Zero));
    private readonly FakeRuntime _runtime = new()
    {
        Containers = [Container("c0ffee000001", "web", 0), Container("c0ffee000002", "other", 0)],
    };

    private ContainerLogsHandler Handler => new(_runtime, Options, _time, NullLogger<ContainerLogsHandler>.Instance);

    [Fact]
    public async Task Read_SignedForThisHostAndItsContainer_AnswersTheEnginesChunkWithCursor()
    {
        LogCursor.TryParse("2026-11-27T00:59:59.000000001Z", out var cursor);
        _runtime.Logs["c0ffee000001"] = new ContainerLogs([new LogLine(cursor!.At, "stdout", "hello")], cursor, More: true, Running: true);

        var reply = await Handler.HandleAsync(TestKeys.Control.Sign(Read("host-a", "web", "c0ffee000001", tail: 5)), CancellationToken.None);

        Assert.NotNull(reply);
        Assert.Null(reply.Problem);
        Assert.Equal("hello", Assert.Single(reply.Lines).Text);
        Assert.Equal("2026-11-27T00:59:59.000000001Z", reply.Cursor);
        Assert.True(reply.More);
        Assert.True(reply.Running);
        var (id, read) = Assert.Single(_runtime.LogReads);
        Assert.Equal(("c0ffee000001", 5, ReplicaLogsReply.MaxLines, ReplicaLogsReply.MaxBytes), (id, read.Tail, read.MaxLines, read.MaxBytes));
    }

    [Fact]
    public async Task Read_AContainerOfAnotherDeployment_IsNotFoundAndNeverRead()
    {
        var reply = await Handler.HandleAsync(TestKeys.Control.Sign(Read("host-a", "web", "c0ffee000002")), CancellationToken.None);

        Assert.Equal(LogsProblem.NotFound, reply!.Problem);
        Assert.Contains("has no container c0ffee000002 on host host-a", reply.Error, StringComparison.Ordinal);
        Assert.Empty(_runtime.LogReads);
    }

    [Fact]
    public async Task Read_Unsigned_IsAnsweredWithNothing()
    {
        Assert.Null(await Handler.HandleAsync(Read("host-a", "web", "c0ffee000001"), CancellationToken.None));
        Assert.Empty(_runtime.LogReads);
    }

    [Fact]
    public async Task Read_ForAnotherHost_IsAnsweredWithNothing()
    {
        Assert.Null(await Handler.HandleAsync(TestKeys.Control.Sign(Read("host-b", "web", "c0ffee000001")), CancellationToken.None));
        Assert.Empty(_runtime.LogReads);
    }

    [Fact]
    public async Task Read_Expired_IsAnsweredWithNothing()
    {
        var command = TestKeys.Control.Sign(Read("host-a", "web", "c0ffee000001"));
        _time.Advance(TimeSpan.FromMinutes(1));

        Assert.Null(await Handler.HandleAsync(command, CancellationToken.None));
        Assert.Empty(_runtime.LogReads);
    }

    [Fact]
    public async Task Read_AfterSomethingThatIsNotACursor_IsRefusedAsInvalid()
    {
        var reply = await Handler.HandleAsync(TestKeys.Control.Sign(Read("host-a", "web", "c0ffee000001") with { After = "yesterday" }), CancellationToken.None);

        Assert.Equal(LogsProblem.Invalid, reply!.Problem);
        Assert.Empty(_runtime.LogReads);
    }

    private ReadContainerLogs Read(string hostId, string name, string containerId, int? tail = null) =>
        new(Guid.NewGuid(), Guid.NewGuid(), _time.GetUtcNow(), hostId, name, 1, 0, containerId, tail, null, null, _time.GetUtcNow() + TimeSpan.FromSeconds(10));

    private static ManagedContainer Container(string id, string name, int index) =>
        new(id, $"{name}-r1-{index}", new Dictionary<string, string>
        {
            [ContainerLabels.Deployment] = name,
            [ContainerLabels.Host] = "host-a",
            [ContainerLabels.Replica] = index.ToString(System.Globalization.CultureInfo.InvariantCulture),
            [ContainerLabels.Revision] = "1",
        }, true, "running", [], DateTimeOffset.UnixEpoch);
}
