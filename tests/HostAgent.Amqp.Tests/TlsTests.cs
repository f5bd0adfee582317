using Workers.Contracts.Messages;
using Workers.Transport;

namespace Workers.HostAgent.Amqp.Tests;

/// <summary>
/// The lean agent on <c>amqps://</c>: a RabbitMQ of its own that speaks TLS on 5671 only to clients that trust the CA
/// the fixture made, so a command carried out and its result consumed went over TLS end to end.
/// </summary>
public sealed class TlsTests(TlsBrokerFixture broker) : IClassFixture<TlsBrokerFixture>
{
    [Fact]
    public async Task StartReplicas_OverAmqps_IsCarriedOutAndItsReplicaStartedIsConsumedByMassTransit()
    {
        var tls = Broker.Parse(broker.Address(trustTheCa: true));
        var hostId = $"tls-{Guid.NewGuid():N}"[..20];
        var engine = new FakeEngine();
        await using var functions = await FunctionsBus.StartAsync(tls);
        await using var agent = await LeanAgent.StartAsync(tls, hostId, engine);
        var command = Commands.Start(hostId, "web");

        await (await functions.HostAsync(hostId)).Send(command);

        var started = await functions.ConsumedAsync<ReplicaStarted>(m => m.HostId == hostId);
        Assert.Equal(command.CorrelationId, started.Message.CorrelationId);
        Assert.Equal($"c-{Assert.Single(engine.Launches).Name}", started.Message.ContainerId);
        Assert.Null(TestKeys.Agent.Signing.PublicKey.Refusal(started.Message));
    }
}
