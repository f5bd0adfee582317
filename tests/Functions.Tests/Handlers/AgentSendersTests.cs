using Microsoft.Extensions.Logging.Abstractions;
using Workers.Contracts.Messages;
using Workers.Functions.Handlers;
using Workers.Functions.Store;
using Workers.Security;

namespace Workers.Functions.Tests.Handlers;

/// <summary>
/// The gate in front of every agent message: a host's first signed heartbeat pins its keys; later messages of that
/// host pass only signed with them; refused ones never reach the handler.
/// </summary>
public sealed class AgentSendersTests : IAsyncLifetime, IDisposable
{
    private readonly DirectoryInfo _directory = Directory.CreateTempSubdirectory("workers-senders-");
    private readonly AgentKeys _agent = AgentKeys.Generate();
    private readonly AgentKeys _other = AgentKeys.Generate();
    private readonly List<object> _handled = [];
    private SqlDeploymentStore _store = null!;
    private AgentSenders _senders = null!;

    public async Task InitializeAsync()
    {
        _store = new SqlDeploymentStore(new SqliteDialect(Path.Combine(_directory.FullName, "workers.db")));
        await _store.MigrateAsync(CancellationToken.None);
        _senders = new AgentSenders(_store, TimeProvider.System, NullLogger<AgentSenders>.Instance);
    }

    public Task DisposeAsync() => Task.CompletedTask;

    public void Dispose()
    {
        _agent.Dispose();
        _other.Dispose();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        _directory.Delete(recursive: true);
    }

    [Fact]
    public async Task FirstSignedHeartbeat_PinsTheHostsKeysAndIsHandled()
    {
        await AcceptAsync(_agent.Signing.Sign(Heartbeat("host-a", _agent)));

        Assert.Single(_handled);
        Assert.Equal(_agent.Identity, await _store.GetHostKeysAsync("host-a", CancellationToken.None));
    }

    [Fact]
    public async Task FirstHeartbeat_Unsigned_PinsNothing()
    {
        await AcceptAsync(Heartbeat("host-a", _agent));

        Assert.Empty(_handled);
        Assert.Null(await _store.GetHostKeysAsync("host-a", CancellationToken.None));
    }

    [Fact]
    public async Task FirstHeartbeat_WhoseSealingKeyIsNotP256_PinsNothing()
    {
        using var p384 = System.Security.Cryptography.ECDiffieHellman.Create(System.Security.Cryptography.ECCurve.NamedCurves.nistP384);
        var identity = _agent.Identity with { SealingKey = Convert.ToBase64String(p384.ExportSubjectPublicKeyInfo()) };

        await AcceptAsync(_agent.Signing.Sign(Heartbeat("host-a", _agent) with { Identity = identity }));

        Assert.Empty(_handled);
        Assert.Null(await _store.GetHostKeysAsync("host-a", CancellationToken.None));
    }

    [Fact]
    public async Task Heartbeat_WithOtherKeysThanThePinnedOnes_IsRefusedAndTheKeysStay()
    {
        await AcceptAsync(_agent.Signing.Sign(Heartbeat("host-a", _agent)));

        await AcceptAsync(_other.Signing.Sign(Heartbeat("host-a", _other)));

        Assert.Single(_handled);
        Assert.Equal(_agent.Identity, await _store.GetHostKeysAsync("host-a", CancellationToken.None));
    }

    [Fact]
    public async Task Result_SignedWithThePinnedKey_IsHandled()
    {
        await AcceptAsync(_agent.Signing.Sign(Heartbeat("host-a", _agent)));

        await AcceptAsync(_agent.Signing.Sign(Stopped("host-a")));

        Assert.Equal(2, _handled.Count);
    }

    [Fact]
    public async Task Result_FromAHostWithNoPinnedKeys_IsRefused()
    {
        await AcceptAsync(_agent.Signing.Sign(Stopped("host-a")));

        Assert.Empty(_handled);
    }

    [Fact]
    public async Task Result_SignedWithAnotherHostsPinnedKey_IsRefused()
    {
        await AcceptAsync(_agent.Signing.Sign(Heartbeat("host-a", _agent)));
        await AcceptAsync(_other.Signing.Sign(Heartbeat("host-b", _other)));

        await AcceptAsync(_other.Signing.Sign(Stopped("host-a")));

        Assert.Equal(2, _handled.Count);
    }

    [Fact]
    public async Task KeysForgotten_TheNextSignedHeartbeatPinsNewOnes()
    {
        await AcceptAsync(_agent.Signing.Sign(Heartbeat("host-a", _agent)));

        Assert.True(await _store.ForgetHostKeysAsync("host-a", CancellationToken.None));
        await AcceptAsync(_other.Signing.Sign(Heartbeat("host-a", _other)));

        Assert.Equal(2, _handled.Count);
        Assert.Equal(_other.Identity, await _store.GetHostKeysAsync("host-a", CancellationToken.None));
    }

    [Fact]
    public async Task HostRevoked_EveryMessageNamingItIsRefusedWhateverSignsIt_UntilItIsForgotten()
    {
        var keys = new HostKeysHandler(_store, TimeProvider.System, NullLogger<HostKeysHandler>.Instance);
        await AcceptAsync(_agent.Signing.Sign(Heartbeat("host-a", _agent)));

        var revoked = await keys.HandleAsync(new ForgetHost(Guid.NewGuid(), Guid.NewGuid(), DateTimeOffset.UtcNow, "host-a", Revoke: true, "test"), CancellationToken.None);
        await AcceptAsync(_agent.Signing.Sign(Stopped("host-a")));
        await AcceptAsync(_other.Signing.Sign(Heartbeat("host-a", _other)));

        Assert.Equal("revoked", revoked.Outcome);
        Assert.Single(_handled);

        var forgotten = await keys.HandleAsync(new ForgetHost(Guid.NewGuid(), Guid.NewGuid(), DateTimeOffset.UtcNow, "host-a", Revoke: false, "test"), CancellationToken.None);
        await AcceptAsync(_other.Signing.Sign(Heartbeat("host-a", _other)));

        Assert.Equal("forgotten", forgotten.Outcome);
        Assert.Equal(2, _handled.Count);
        Assert.Equal(_other.Identity, await _store.GetHostKeysAsync("host-a", CancellationToken.None));
    }

    [Fact]
    public async Task ForgetHost_WithNoKeysPinned_SaysSo()
    {
        var keys = new HostKeysHandler(_store, TimeProvider.System, NullLogger<HostKeysHandler>.Instance);

        var reply = await keys.HandleAsync(new ForgetHost(Guid.NewGuid(), Guid.NewGuid(), DateTimeOffset.UtcNow, "host-z", Revoke: false, "test"), CancellationToken.None);

        Assert.Equal(("host-z", "had no keys pinned"), (reply.HostId, reply.Outcome));
    }

    [Fact]
    public async Task Batch_HandsOnTheMessagesOfPinnedSendersAndRefusesTheRest()
    {
        await AcceptAsync(_agent.Signing.Sign(Heartbeat("host-a", _agent)));
        await AcceptAsync(_other.Signing.Sign(Heartbeat("host-b", _other)));
        _handled.Clear();
        var fromA = _agent.Signing.Sign(Stopped("host-a"));
        var alsoFromA = _agent.Signing.Sign(Stopped("host-a"));
        var fromB = _other.Signing.Sign(Stopped("host-b"));
        var forged = _other.Signing.Sign(Stopped("host-a"));
        var unpinned = _agent.Signing.Sign(Stopped("host-c"));
        IReadOnlyList<ReplicaStopped>? handedOn = null;

        await _senders.AcceptAsync([fromA, forged, fromB, unpinned, alsoFromA], (batch, _) =>
        {
            handedOn = batch;
            return Task.FromResult(new Effects());
        }, CancellationToken.None);

        Assert.Equal([fromA.MessageId, fromB.MessageId, alsoFromA.MessageId], handedOn!.Select(m => m.MessageId));
    }

    [Fact]
    public async Task Batch_AllRefused_HandsOnNothing()
    {
        var called = false;

        var effects = await _senders.AcceptAsync([_agent.Signing.Sign(Stopped("host-a"))], (_, _) =>
        {
            called = true;
            return Task.FromResult(new Effects());
        }, CancellationToken.None);

        Assert.False(called);
        Assert.Empty(effects.Published);
    }

    private Task AcceptAsync<T>(T message)
        where T : IAgentMessage =>
        _senders.AcceptAsync(message, (m, _) =>
        {
            _handled.Add(m);
            return Task.FromResult(new Effects());
        }, CancellationToken.None);

    private static HostHeartbeat Heartbeat(string hostId, AgentKeys keys) =>
        new(Guid.NewGuid(), Guid.NewGuid(), DateTimeOffset.UtcNow, hostId, new Dictionary<string, string>(), "127.0.0.1", 1000, 1L << 30, 1000, 1L << 30, [], [], null, keys.Identity);

    private static ReplicaStopped Stopped(string hostId) => new(Guid.NewGuid(), Guid.NewGuid(), DateTimeOffset.UtcNow, hostId, "web", 1, 0);
}
