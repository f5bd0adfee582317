using MassTransit;
using Workers.Contracts.Messages;
using Workers.Contracts.Spec;
using Workers.HostAgent.Agent;
using Workers.HostAgent.Runtime;
using Workers.Transport;

namespace Workers.HostAgent.Amqp.Tests;

/// <summary>The lean agent and MassTransit on one RabbitMQ: each reads what the other writes.</summary>
[Collection(BrokerCollection.Name)]
public sealed class WireCompatibilityTests(BrokerFixture broker)
{
    [Fact]
    public async Task Codec_EnvelopeMassTransitSends_ReadsAsTheCommandSentWithItsSignatureIntact()
    {
        var hostId = $"codec-{Guid.NewGuid():N}"[..20];
        var sent = Commands.Start(hostId, "web") with { SealedEnv = new Dictionary<string, string> { ["A"] = "sealed" } };
        sent = TestKeys.Control.Sign(sent);
        var factory = broker.Broker.ConnectionFactory("codec-test");
        await using var connection = await broker.Broker.ConnectAsync(factory, CancellationToken.None);
        await using var channel = await connection.CreateChannelAsync();
        var queue = AgentTopology.Queue(hostId);
        await AgentTopology.DeclareQueueAsync(channel, queue, CancellationToken.None);
        await using var functions = await FunctionsBus.StartAsync(broker.Broker);

        await (await functions.HostAsync(hostId)).Send(sent);

        var raw = await Poll.UntilAsync(() => channel.BasicGetAsync(queue, autoAck: true), g => g is not null, TimeSpan.FromSeconds(30), "the command in the queue");
        Assert.Equal(EnvelopeCodec.ContentType, raw!.BasicProperties.ContentType);
        var envelope = EnvelopeCodec.Read(raw.Body.Span);
        var type = WireTypes.Command(envelope.MessageType);
        Assert.Equal(typeof(StartReplicas), type?.Type);
        var read = Assert.IsType<StartReplicas>(type!.Read(envelope.Message!.Value));
        Assert.Equal(Commands.Json(sent), Commands.Json(read));
        Assert.Null(TestKeys.Trusted.Refusal(read));
    }

    [Fact]
    public async Task StartReplicas_SentByMassTransit_IsCarriedOutAndItsReplicaStartedIsConsumedByMassTransit()
    {
        var hostId = $"start-{Guid.NewGuid():N}"[..20];
        var engine = new FakeEngine();
        await using var functions = await FunctionsBus.StartAsync(broker.Broker);
        await using var agent = await LeanAgent.StartAsync(broker.Broker, hostId, engine);
        var command = Commands.Start(hostId, "web");

        await (await functions.HostAsync(hostId)).Send(command);

        var started = await functions.ConsumedAsync<ReplicaStarted>(m => m.HostId == hostId);
        var launch = Assert.Single(engine.Launches);
        Assert.Equal("workers-test/httpd:1", launch.Image);
        Assert.Equal((command.CorrelationId, "web", 1L, 0, $"c-{launch.Name}"), (started.Message.CorrelationId, started.Message.Name, started.Message.Revision, started.Message.Index, started.Message.ContainerId));
        Assert.Null(TestKeys.Agent.Signing.PublicKey.Refusal(started.Message));
        Assert.Equal(command.CorrelationId, started.CorrelationId);
    }

    [Fact]
    public async Task Publisher_HeartbeatPublished_IsConsumedByMassTransitEqualAndSigned()
    {
        var hostId = $"beat-{Guid.NewGuid():N}"[..20];
        await using var functions = await FunctionsBus.StartAsync(broker.Broker);
        await using var agent = await LeanAgent.StartAsync(broker.Broker, hostId, new FakeEngine());
        var heartbeat = TestKeys.Agent.Signing.Sign(new HostHeartbeat(
            Guid.NewGuid(), Guid.NewGuid(), DateTimeOffset.UtcNow, hostId, new Dictionary<string, string> { ["Zone"] = "a", ["disk"] = "ssd" }, "10.0.0.7",
            2000, 4L << 30, 1500, 3L << 30,
            [new RunningReplica("web", 3, 0, "c1", true, DateTimeOffset.UtcNow, ReplicaHealth.Healthy, "ok")],
            [new HostPort(30080, Protocol.Tcp)])
        { AgentVersion = "1.2.3" });

        await agent.Publisher.PublishAsync(heartbeat, CancellationToken.None);

        var consumed = await functions.ConsumedAsync<HostHeartbeat>(m => m.HostId == hostId);
        Assert.Equal(Commands.Json(heartbeat), Commands.Json(consumed.Message));
        Assert.Null(TestKeys.Agent.Signing.PublicKey.Refusal(consumed.Message));
        Assert.Equal(heartbeat.CorrelationId, consumed.CorrelationId);
    }

    [Fact]
    public async Task ReadContainerLogs_RequestedThroughMassTransitsRequestClient_IsAnswered()
    {
        var hostId = $"logs-{Guid.NewGuid():N}"[..20];
        var labels = new Dictionary<string, string> { [ContainerLabels.Deployment] = "web", [ContainerLabels.Host] = hostId, [ContainerLabels.Replica] = "0" };
        var engine = new FakeEngine { Containers = [new ManagedContainer("c-web", $"web-r1-0.{hostId}", labels, true, "running", [], DateTimeOffset.UtcNow)] };
        await using var functions = await FunctionsBus.StartAsync(broker.Broker);
        await using var agent = await LeanAgent.StartAsync(broker.Broker, hostId, engine);
        var request = TestKeys.Control.Sign(new ReadContainerLogs(Guid.NewGuid(), Guid.NewGuid(), DateTimeOffset.UtcNow, hostId, "web", 1, 0, "c-web", 10, null, null, DateTimeOffset.UtcNow.AddMinutes(1)));
        var client = functions.Bus.CreateRequestClient<ReadContainerLogs>(Queues.HostAddress(functions.Bus.Address, hostId), RequestTimeout.After(s: 30));

        var reply = await client.GetResponse<ReplicaLogsReply>(request);

        Assert.Equal(["c-web"], engine.LogReads);
        Assert.Equal("hello from c-web", Assert.Single(reply.Message.Lines).Text);
        Assert.Equal(request.CorrelationId, reply.Message.CorrelationId);
    }

    [Fact]
    public async Task ReadContainerLogs_HandlerAlwaysFails_MassTransitsRequestClientGetsTheFault()
    {
        var hostId = $"logsf-{Guid.NewGuid():N}"[..20];
        await using var functions = await FunctionsBus.StartAsync(broker.Broker);
        await using var agent = await LeanAgent.StartAsync(broker.Broker, hostId, new FakeEngine { Broken = true });
        var request = TestKeys.Control.Sign(new ReadContainerLogs(Guid.NewGuid(), Guid.NewGuid(), DateTimeOffset.UtcNow, hostId, "web", 1, 0, "c-web", 10, null, null, DateTimeOffset.UtcNow.AddMinutes(1)));
        var client = functions.Bus.CreateRequestClient<ReadContainerLogs>(Queues.HostAddress(functions.Bus.Address, hostId), RequestTimeout.After(s: 50));

        var fault = await Assert.ThrowsAsync<RequestFaultException>(() => client.GetResponse<ReplicaLogsReply>(request));

        Assert.Contains("the engine is broken", fault.Fault!.Exceptions.Single().Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Commands_OneDeploymentsStopHangs_AnotherDeploymentsRunMeanwhileAndTheHungOnesNextWaitsItsTurn()
    {
        var hostId = $"order-{Guid.NewGuid():N}"[..20];
        var engine = new FakeEngine { Gated = "slow" };
        await using var functions = await FunctionsBus.StartAsync(broker.Broker);
        await using var agent = await LeanAgent.StartAsync(broker.Broker, hostId, engine);
        var host = await functions.HostAsync(hostId);

        await host.Send(Commands.Stop(hostId, "slow", 0));
        await host.Send(Commands.Stop(hostId, "slow", 1));
        await host.Send(Commands.Stop(hostId, "fast", 0));
        await host.Send(Commands.Stop(hostId, "fast", 1));

        await functions.ConsumedAsync<ReplicaStopped>(m => m.HostId == hostId && m.Name == "fast" && m.Index == 1);
        Assert.Equal([$"slow-r1-0.{hostId}"], engine.Removals.Where(n => n.StartsWith("slow", StringComparison.Ordinal)));
        Assert.DoesNotContain(functions.Consumed.OfType<ConsumeContext<ReplicaStopped>>(), c => c.Message.Name == "slow");

        engine.Release();

        await functions.ConsumedAsync<ReplicaStopped>(m => m.HostId == hostId && m.Name == "slow" && m.Index == 1);
        Assert.Equal([$"slow-r1-0.{hostId}", $"slow-r1-1.{hostId}"], engine.Removals.Where(n => n.StartsWith("slow", StringComparison.Ordinal)));
        Assert.Equal([0, 1], functions.Consumed.OfType<ConsumeContext<ReplicaStopped>>().Where(c => c.Message.Name == "slow").Select(c => c.Message.Index));
    }
}
