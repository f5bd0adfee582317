using System.Collections.Concurrent;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;
using Workers.Contracts.Messages;
using Workers.Contracts.Spec;
using Workers.Security;
using Workers.Transport;

namespace Workers.Integration.Tests;

/// <summary>
/// Every message tied to its sender, on the real broker with every piece under its own user: commands an agent did
/// not get from the control plane, and agent messages that do not come from the host they name, are refused, said so
/// in the log, and change nothing in Docker or the store; and the broker keeps one agent out of another's queue.
/// The forgers here hold the broker's administrator, more than any Workers user has.
/// </summary>
[Collection(PipelineCollection.Name)]
public sealed class SenderIdentityTests(PipelineFixture fixture)
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(90);

    [Fact]
    public async Task StartCommands_UnsignedForeignKeyOtherHostsOrReplayedExpired_StartNothingAndOnlyTheExpiredOneIsAnswered()
    {
        var name = Name("forged");
        var spec = SpecParser.Parse($"name: {name}\nimage: {TestImages.Workload}\n", $"{name}.yaml").Spec!;
        var now = DateTimeOffset.UtcNow;
        using var stranger = SigningKey.Generate();
        var unsigned = Start(spec, fixture.HostA, now.AddMinutes(1));
        var foreign = stranger.Sign(Start(spec, fixture.HostA, now.AddMinutes(1)));
        var otherHosts = fixture.ControlKey.Sign(Start(spec, fixture.HostB, now.AddMinutes(1)));
        var replayed = fixture.ControlKey.Sign(Start(spec, fixture.HostA, now.AddSeconds(-1)));
        // One deployment's commands are carried out in order: once the agent answered this stop, it has seen the rest.
        var sentinel = fixture.ControlKey.Sign(new StopReplicas(Guid.NewGuid(), Guid.NewGuid(), DateTimeOffset.UtcNow, fixture.HostA, name, 1, [0]));
        var results = new ReplicaResults();
        using var forger = await StartForgerAsync(results);

        var endpoint = await forger.Services.GetRequiredService<IBus>().GetSendEndpoint(Queues.HostAddress(forger.Services.GetRequiredService<IBus>().Address, fixture.HostA));
        foreach (var command in new object[] { unsigned, foreign, otherHosts, replayed, sentinel })
        {
            await endpoint.Send(command, command.GetType());
        }

        await Poll.UntilAsync(() => Task.FromResult(results.Of(sentinel.CorrelationId)), r => r.OfType<ReplicaStopped>().Any(), Deadline, "the agent's answer to the stop sent after the forged starts");
        Assert.Empty(results.Of(unsigned.CorrelationId));
        Assert.Empty(results.Of(foreign.CorrelationId));
        Assert.Empty(results.Of(otherHosts.CorrelationId));
        var expired = Assert.IsType<ReplicaFailed>(Assert.Single(results.Of(replayed.CorrelationId)));
        Assert.Contains("expired", expired.Reason, StringComparison.Ordinal);
        var refusals = fixture.AgentLogs[fixture.HostA].Lines.Where(l => l.StartsWith($"Refused a StartReplicas for {name} r1", StringComparison.Ordinal)).ToList();
        Assert.Equal(3, refusals.Count);
        Assert.Contains(refusals, l => l.EndsWith("it is not signed", StringComparison.Ordinal));
        Assert.Contains(refusals, l => l.Contains($"signed with key {stranger.PublicKey.KeyId}", StringComparison.Ordinal));
        Assert.Contains(refusals, l => l.EndsWith($"it is addressed to host {fixture.HostB}, not {fixture.HostA}", StringComparison.Ordinal));
        foreach (var hostId in new[] { fixture.HostA, fixture.HostB })
        {
            Assert.Empty(await DockerView.ContainersAsync(fixture.Docker, hostId, name));
        }

        Assert.Empty((await fixture.NewClient().StatusAsync(name, null, CancellationToken.None)).Deployments);
    }

    [Fact]
    public async Task AgentMessages_ForgedForAnotherHost_AreRefusedAndTheReplicaTheyAimAtRunsOn()
    {
        var client = fixture.NewClient();
        var name = Name("victim");
        var id = await client.DeployAsync($"name: {name}\nimage: {TestImages.Workload}\nports:\n  - container: 8080\nresources:\n  memory: 16Mi\n", $"{name}.yaml", CancellationToken.None);
        var replica = (await PipelineFixture.WaitForStateAsync(client, id, DeploymentState.Running, Deadline)).Replicas.Single();
        var host = replica.HostId;
        var other = host == fixture.HostA ? fixture.HostB : fixture.HostA;
        var ghost = Name("ghost");
        using var stranger = AgentKeys.Generate();
        using var otherAgent = AgentKeys.LoadOrCreate(fixture.AgentKeyPath(other));
        var now = DateTimeOffset.UtcNow;
        var forged = new object[]
        {
            // A stranger's key, and the other host's own key, each telling the replica's host it is unhealthy.
            stranger.Signing.Sign(new ReplicaHealthChanged(Guid.NewGuid(), id, now, host, name, 1, 0, replica.ContainerId!, ReplicaHealth.Unhealthy, "forged")),
            otherAgent.Signing.Sign(new ReplicaHealthChanged(Guid.NewGuid(), id, now, host, name, 1, 0, replica.ContainerId!, ReplicaHealth.Unhealthy, "forged")),
            // The other host's key, in its own name, about a replica that is not on its host.
            otherAgent.Signing.Sign(new ReplicaHealthChanged(Guid.NewGuid(), id, now, other, name, 1, 0, replica.ContainerId!, ReplicaHealth.Unhealthy, "forged")),
            // Unsigned: the replica runs in another container.
            new ReplicaStarted(Guid.NewGuid(), id, now, host, name, 1, 0, "f0f0f0f0f0f0", []),
            // The other host's key, saying the replica's host runs nothing.
            otherAgent.Signing.Sign(Heartbeat(host, otherAgent.Identity)),
            // A host nobody runs, announced unsigned.
            Heartbeat(ghost, stranger.Identity),
        };
        using var forger = await StartForgerAsync(new ReplicaResults());
        int Refusals() => fixture.FunctionsLog.Lines.Count(l => l.Contains($"comes from host {host}:", StringComparison.Ordinal) || l.Contains($"comes from host {ghost}:", StringComparison.Ordinal)
            || (l.Contains($"comes from host {other}:", StringComparison.Ordinal) && l.Contains(name, StringComparison.Ordinal)));
        var before = Refusals();

        foreach (var message in forged)
        {
            await forger.Services.GetRequiredService<IBus>().Publish(message, message.GetType());
        }

        await Poll.UntilAsync(
            () => Task.FromResult(Refusals()),
            count => count >= before + forged.Length,
            Deadline,
            "the functions' refusals of every forged message");
        var lines = fixture.FunctionsLog.Lines.Where(l => l.Contains($"comes from host {host}:", StringComparison.Ordinal)).ToList();
        Assert.Contains(lines, l => l.StartsWith("Refused a ReplicaHealthChanged", StringComparison.Ordinal) && l.Contains($"it is signed with key {stranger.Signing.PublicKey.KeyId}, not ", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("Refused a ReplicaHealthChanged", StringComparison.Ordinal) && l.Contains($"it is signed with key {otherAgent.Signing.PublicKey.KeyId}, not ", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("Refused a ReplicaStarted", StringComparison.Ordinal) && l.EndsWith("it is not signed", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("Refused a HostHeartbeat", StringComparison.Ordinal) && l.Contains($"is pinned to key", StringComparison.Ordinal));
        Assert.Contains(fixture.FunctionsLog.Lines, l => l.StartsWith($"Refused a HostHeartbeat that says it comes from host {ghost}: it is not signed", StringComparison.Ordinal));
        Assert.Contains(fixture.FunctionsLog.Lines, l => l == $"Refused a ReplicaHealthChanged that says it comes from host {other}: replica 0 of {name} r1 is placed on host {host}, not on {other}");

        var after = (await client.StatusAsync(name, null, CancellationToken.None)).Deployments.Single();
        Assert.Equal(DeploymentState.Running, after.State);
        var still = after.Replicas.Single();
        Assert.Equal((ReplicaState.Running, replica.ContainerId, host), (still.State, still.ContainerId, still.HostId));
        Assert.Equal("running", Assert.Single(await DockerView.ContainersAsync(fixture.Docker, host, name)).State);
        var hosts = (await client.HostsAsync(CancellationToken.None)).Hosts;
        Assert.DoesNotContain(hosts, h => h.HostId == ghost);
        Assert.Contains(hosts, h => h.HostId == host && h.Live);

        await client.DeleteAsync(name, CancellationToken.None);
        await fixture.WaitUntilGoneAsync(client, name, Deadline);
    }

    [Fact]
    public async Task HostRevokedByAClient_ItsHeartbeatsAreRefused_AndOnceForgottenItsNextHeartbeatPinsItAgain()
    {
        var client = fixture.NewClient();
        try
        {
            var revoked = await client.ForgetHostAsync(fixture.HostA, revoke: true, CancellationToken.None);

            Assert.Equal("revoked", revoked.Outcome);
            await Poll.UntilAsync(
                () => Task.FromResult(fixture.FunctionsLog.Lines.Any(l => l == $"Refused a HostHeartbeat that says it comes from host {fixture.HostA}: host {fixture.HostA} is revoked (workers hosts forget {fixture.HostA} lifts it)")),
                refused => refused,
                Deadline,
                "a refused heartbeat of the revoked host");
        }
        finally
        {
            var forgotten = await client.ForgetHostAsync(fixture.HostA, revoke: false, CancellationToken.None);
            Assert.Equal("forgotten", forgotten.Outcome);
            using var agent = AgentKeys.LoadOrCreate(fixture.AgentKeyPath(fixture.HostA));
            await Poll.UntilAsync(
                () => fixture.Store.GetHostKeysAsync(fixture.HostA, CancellationToken.None),
                pinned => pinned == agent.Identity,
                Deadline,
                "the forgotten host pinned again by its next heartbeat");
        }
    }

    [Fact]
    public async Task Broker_AgentUserConsumingAnotherHostsQueue_IsRefused()
    {
        var broker = fixture.AgentBroker(fixture.HostA);
        var factory = new ConnectionFactory { HostName = broker.Host, Port = broker.Port, UserName = broker.Username, Password = broker.Password };
        await using var connection = await factory.CreateConnectionAsync();
        await using var channel = await connection.CreateChannelAsync();

        var refused = await Assert.ThrowsAsync<OperationInterruptedException>(() =>
            channel.BasicConsumeAsync(Queues.Host(fixture.HostB), autoAck: false, new RabbitMQ.Client.Events.AsyncEventingBasicConsumer(channel)));

        Assert.Equal((ushort)403, refused.ShutdownReason?.ReplyCode);
    }

    [Fact]
    public async Task Broker_ClientUserConsumingAnAgentsQueue_IsRefused()
    {
        var factory = new ConnectionFactory { HostName = fixture.Broker.Host, Port = fixture.Broker.Port, UserName = fixture.Broker.Username, Password = fixture.Broker.Password };
        await using var connection = await factory.CreateConnectionAsync();
        await using var channel = await connection.CreateChannelAsync();

        var refused = await Assert.ThrowsAsync<OperationInterruptedException>(() =>
            channel.BasicConsumeAsync(Queues.Host(fixture.HostA), autoAck: false, new RabbitMQ.Client.Events.AsyncEventingBasicConsumer(channel)));

        Assert.Equal((ushort)403, refused.ShutdownReason?.ReplyCode);
    }

    private Task<IHost> StartForgerAsync(ReplicaResults results) =>
        fixture.StartHostAsync(services =>
        {
            services.AddSingleton(results);
            services.AddWorkersBus(fixture.AdminBroker, bus => bus.AddConsumer<ReplicaResultRecorder>().Endpoint(e => e.Name = $"it-results-{Guid.NewGuid():N}"), (context, cfg) => cfg.ConfigureEndpoints(context));
        });

    private static StartReplicas Start(DeploymentSpec spec, string hostId, DateTimeOffset expiresAt) =>
        new(Guid.NewGuid(), Guid.NewGuid(), DateTimeOffset.UtcNow, hostId, 1, expiresAt, spec, [new ReplicaAssignment(0, [])]);

    private static HostHeartbeat Heartbeat(string hostId, AgentIdentity identity) =>
        new(Guid.NewGuid(), Guid.NewGuid(), DateTimeOffset.UtcNow, hostId, new Dictionary<string, string>(), "127.0.0.9", 4000, 8L << 30, 4000, 8L << 30, [], [], null, identity);

    private static string Name(string prefix) => $"{prefix}-{Guid.NewGuid():N}"[..20];
}

/// <summary>The agents' answers a test heard, by deployment id.</summary>
public sealed class ReplicaResults
{
    private readonly ConcurrentQueue<object> _heard = new();

    public void Add(object message) => _heard.Enqueue(message);

    public IReadOnlyList<object> Of(Guid correlationId) =>
        [.. _heard.Where(m => m switch
        {
            ReplicaStarted s => s.CorrelationId == correlationId,
            ReplicaFailed f => f.CorrelationId == correlationId,
            ReplicaStopped s => s.CorrelationId == correlationId,
            _ => false,
        })];
}

public sealed class ReplicaResultRecorder(ReplicaResults results) : IConsumer<ReplicaStarted>, IConsumer<ReplicaFailed>, IConsumer<ReplicaStopped>
{
    public Task Consume(ConsumeContext<ReplicaStarted> context) => Record(context.Message);

    public Task Consume(ConsumeContext<ReplicaFailed> context) => Record(context.Message);

    public Task Consume(ConsumeContext<ReplicaStopped> context) => Record(context.Message);

    private Task Record(object message)
    {
        results.Add(message);
        return Task.CompletedTask;
    }
}
