using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Workers.Contracts.Messages;
using Workers.Functions.Store;
using Workers.Security;
using Workers.Transport.ServiceBus;
using Workers.Transport.ServiceBus.Tests.Support;

namespace Workers.Functions.ServiceBus.Tests;

/// <summary>The router over the real handlers and a real SQLite store, with the topic faked.</summary>
public sealed class FunctionsMessageRouterTests : IAsyncLifetime
{
    private readonly DirectoryInfo _directory = Directory.CreateTempSubdirectory("workers-servicebus-");
    private readonly FakeClient _client = new();
    private ServiceProvider _provider = null!;

    private FunctionsMessageRouter Router => _provider.GetRequiredService<FunctionsMessageRouter>();

    private IReadOnlyList<Azure.Messaging.ServiceBus.ServiceBusMessage> Sent => _client.Senders.TryGetValue("workers", out var topic) ? topic.Sent : [];

    public async Task InitializeAsync()
    {
        var services = new ServiceCollection().AddLogging();
        services.AddSingleton<IConfiguration>(new ConfigurationBuilder().Build());
        services.AddSingleton(SigningKey.Generate());
        services.AddWorkersHandlers(_ => new SqliteDialect(Path.Combine(_directory.FullName, "workers.db")));
        services.AddSingleton<Azure.Messaging.ServiceBus.ServiceBusClient>(_client);
        services.AddWorkersServiceBus(new ServiceBusSettings("fake.servicebus.windows.net"));
        services.AddWorkersServiceBusFunctions();
        _provider = services.BuildServiceProvider();
        await _provider.GetRequiredService<IDeploymentStore>().MigrateAsync(CancellationToken.None);
    }

    public async Task DisposeAsync()
    {
        await _provider.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        _directory.Delete(recursive: true);
    }

    [Fact]
    public async Task HandleAsync_InvalidDeploymentRequested_PublishesTheRejectionOnTheTopic()
    {
        var request = new DeploymentRequested(Guid.NewGuid(), Guid.NewGuid(), Messages.Now, "name: Not_A_Label\nreplicas: -1\n", "bad.yaml", "tester");

        await Router.HandleAsync(request, Messages.Received(ServiceBusEnvelope.Create(request)), CancellationToken.None);

        var sent = Assert.Single(Sent);
        Assert.Equal(typeof(DeploymentRejected).FullName, sent.ApplicationProperties["messageType"]);
        Assert.Equal(request.CorrelationId.ToString("D"), sent.CorrelationId);
    }

    [Fact]
    public async Task HandleAsync_HeartbeatWithAnOrphanedContainer_SendsTheStopToThatHostAndPublishesTheOrphan()
    {
        using var agent = AgentKeys.Generate();
        var heartbeat = agent.Signing.Sign(Heartbeat(agent));

        await Router.HandleAsync(heartbeat, Messages.Received(ServiceBusEnvelope.Create(heartbeat)), CancellationToken.None);

        Assert.Equal(["StopReplicas", "ReplicaOrphaned"], Sent.Select(m => m.Subject));
        Assert.Equal("host-a", Sent[0].ApplicationProperties["hostId"]);
    }

    [Fact]
    public async Task HandleAsync_UnsignedHeartbeat_IsRefusedAndChangesNothing()
    {
        using var agent = AgentKeys.Generate();
        var heartbeat = Heartbeat(agent);

        await Router.HandleAsync(heartbeat, Messages.Received(ServiceBusEnvelope.Create(heartbeat)), CancellationToken.None);

        Assert.Empty(Sent);
        Assert.Empty(await _provider.GetRequiredService<IDeploymentStore>().GetHostsAsync(CancellationToken.None));
        Assert.Null(await _provider.GetRequiredService<IDeploymentStore>().GetHostKeysAsync("host-a", CancellationToken.None));
    }

    private static HostHeartbeat Heartbeat(AgentKeys agent) =>
        new(Guid.NewGuid(), Guid.NewGuid(), DateTimeOffset.UtcNow, "host-a", new Dictionary<string, string>(), "127.0.0.1",
            4000, 8L << 30, 4000, 8L << 30, [new RunningReplica("ghost", 1, 0, "c0ffee", true, DateTimeOffset.UtcNow.AddHours(-1))], [], null, agent.Identity);

    [Fact]
    public async Task HandleAsync_GetHostsWithReplyTo_RepliesOnTheRequestersQueue()
    {
        var query = new GetHosts(Guid.NewGuid(), Guid.NewGuid(), Messages.Now);
        var received = Azure.Messaging.ServiceBus.ServiceBusModelFactory.ServiceBusReceivedMessage(messageId: query.MessageId.ToString("D"), replyTo: "replies");

        await Router.HandleAsync(query, received, CancellationToken.None);

        Assert.Equal(typeof(HostsReply).FullName, Assert.Single(_client.Senders["replies"].Sent).ApplicationProperties["messageType"]);
    }

    [Fact]
    public async Task HandleAsync_HostCommand_ThrowsNotHandledSoThePumpDeadLettersIt()
    {
        var stop = new StopReplicas(Guid.NewGuid(), Guid.NewGuid(), Messages.Now, "host-a", "web", 1, [0]);

        await Assert.ThrowsAsync<MessageNotHandledException>(() => Router.HandleAsync(stop, Messages.Received(ServiceBusEnvelope.Create(stop, "host-a")), CancellationToken.None));
    }
}
