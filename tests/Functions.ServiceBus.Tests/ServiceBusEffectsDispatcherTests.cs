using Azure.Messaging.ServiceBus;
using Workers.Contracts.Messages;
using Workers.Functions.Handlers;
using Workers.Security;
using Workers.Transport.ServiceBus;
using Workers.Transport.ServiceBus.Tests.Support;

namespace Workers.Functions.ServiceBus.Tests;

public sealed class ServiceBusEffectsDispatcherTests
{
    private static readonly SigningKey Key = SigningKey.Generate();
    private readonly FakeClient _client = new();
    private readonly ServiceBusEffectsDispatcher _dispatcher;

    public ServiceBusEffectsDispatcherTests() =>
        _dispatcher = new ServiceBusEffectsDispatcher(_client, new ServiceBusSettings("fake.servicebus.windows.net", topic: "flow"), Key);

    [Fact]
    public async Task DispatchAsync_HostCommand_CarriesContractIdsSubjectTypeAndHostId()
    {
        var start = new StartReplicas(Guid.NewGuid(), Guid.NewGuid(), Messages.Now, "host-b", 2, Messages.Now.AddMinutes(5), Messages.Spec(), [new ReplicaAssignment(0, [])]);

        await _dispatcher.DispatchAsync(new Effects().Send("host-b", start), CancellationToken.None);

        var sent = Assert.Single(_client.Senders["flow"].Sent);
        Assert.Equal(start.MessageId.ToString("D"), sent.MessageId);
        Assert.Equal(start.CorrelationId.ToString("D"), sent.CorrelationId);
        Assert.Equal("StartReplicas", sent.Subject);
        Assert.Equal("application/json", sent.ContentType);
        Assert.Equal("Workers.Contracts.Messages.StartReplicas", sent.ApplicationProperties["messageType"]);
        Assert.Equal("host-b", sent.ApplicationProperties["hostId"]);
        var received = Assert.IsType<StartReplicas>(ServiceBusEnvelope.Read(Messages.Received(sent)).Message);
        Assert.Null(Key.PublicKey.Refusal(received));
        Assert.Equal(start, received with { Signature = null, Spec = start.Spec, Replicas = start.Replicas });
    }

    [Fact]
    public async Task DispatchAsync_CommandsAndEvents_SendsCommandsFirstAndOnlyCommandsCarryHostId()
    {
        var correlation = Guid.NewGuid();
        var succeeded = new DeploymentSucceeded(Guid.NewGuid(), correlation, Messages.Now, "web", 2);
        var stop = new StopReplicas(Guid.NewGuid(), correlation, Messages.Now, "host-a", "web", 1, [0, 1]);

        await _dispatcher.DispatchAsync(new Effects().Publish(succeeded).Send("host-a", stop), CancellationToken.None);

        var sent = _client.Senders["flow"].Sent;
        Assert.Equal(["StopReplicas", "DeploymentSucceeded"], sent.Select(m => m.Subject));
        Assert.Equal("host-a", sent[0].ApplicationProperties["hostId"]);
        Assert.False(sent[1].ApplicationProperties.ContainsKey("hostId"));
        Assert.Equal(succeeded.MessageId.ToString("D"), sent[1].MessageId);
        Assert.Single(_client.Senders);
    }

    [Fact]
    public async Task DispatchAsync_SendFails_ThrowsSoTheCallerRetriesWithTheSameMessageIds()
    {
        var first = new DeploymentSucceeded(Guid.NewGuid(), Guid.NewGuid(), Messages.Now, "web", 1);
        var second = new DeploymentSucceeded(Guid.NewGuid(), Guid.NewGuid(), Messages.Now, "api", 1);
        var effects = new Effects().Publish(first).Publish(second);
        ((FakeSender)_client.CreateSender("flow")).FailFrom = 1;

        await Assert.ThrowsAsync<ServiceBusException>(() => _dispatcher.DispatchAsync(effects, CancellationToken.None));
        ((FakeSender)_client.CreateSender("flow")).FailFrom = null;
        await _dispatcher.DispatchAsync(effects, CancellationToken.None);

        Assert.Equal(
            [first.MessageId.ToString("D"), first.MessageId.ToString("D"), second.MessageId.ToString("D")],
            _client.Senders["flow"].Sent.Select(m => m.MessageId));
    }

    [Fact]
    public async Task DispatchAsync_NotAContract_Throws()
    {
        await Assert.ThrowsAsync<ArgumentException>(() => _dispatcher.DispatchAsync(new Effects().Publish("text"), CancellationToken.None));
    }

    [Fact]
    public async Task ReplyAsync_RequestWithReplyTo_SendsToThatEntityInItsSession()
    {
        var request = Messages.Received(ServiceBusEnvelope.Create(new GetHosts(Guid.NewGuid(), Guid.NewGuid(), Messages.Now)));
        request = ServiceBusModelFactory.ServiceBusReceivedMessage(body: request.Body, messageId: request.MessageId, replyTo: "cli-replies", replyToSessionId: "session-7", contentType: request.ContentType);
        var reply = new HostsReply(Guid.NewGuid(), Guid.NewGuid(), Messages.Now, []);

        Assert.True(await _dispatcher.ReplyAsync(reply, request, CancellationToken.None));

        var sent = Assert.Single(_client.Senders["cli-replies"].Sent);
        Assert.Equal("session-7", sent.SessionId);
        Assert.Equal(request.MessageId, sent.ApplicationProperties["inReplyTo"]);
        Assert.Equal("Workers.Contracts.Messages.HostsReply", sent.ApplicationProperties["messageType"]);
    }

    [Fact]
    public async Task ReplyAsync_ReplyToIsTheFlowTopic_RefusesAndSendsNothing()
    {
        var request = ServiceBusModelFactory.ServiceBusReceivedMessage(messageId: "m", replyTo: "flow");

        await Assert.ThrowsAsync<InvalidOperationException>(() => _dispatcher.ReplyAsync(new HostsReply(Guid.NewGuid(), Guid.NewGuid(), Messages.Now, []), request, CancellationToken.None));
        Assert.Empty(_client.Senders);
    }

    [Fact]
    public async Task ReplyAsync_NoReplyTo_ReturnsFalse()
    {
        var request = ServiceBusModelFactory.ServiceBusReceivedMessage(messageId: "m");

        Assert.False(await _dispatcher.ReplyAsync(new HostsReply(Guid.NewGuid(), Guid.NewGuid(), Messages.Now, []), request, CancellationToken.None));
        Assert.Empty(_client.Senders);
    }
}
