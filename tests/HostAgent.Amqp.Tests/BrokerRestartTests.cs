using Workers.Contracts.Messages;

namespace Workers.HostAgent.Amqp.Tests;

/// <summary>The lean agent across a broker restart: automatic recovery brings back its consumer and its publishes.</summary>
[Collection(BrokerCollection.Name)]
public sealed class BrokerRestartTests(BrokerFixture broker)
{
    [Fact]
    public async Task Agent_BrokerRestarted_CarriesOutACommandSentAfterwardsAndPublishesItsResult()
    {
        var hostId = $"restart-{Guid.NewGuid():N}"[..20];
        await using var functions = await FunctionsBus.StartAsync(broker.Broker);
        await using var agent = await LeanAgent.StartAsync(broker.Broker, hostId, new FakeEngine());
        await (await functions.HostAsync(hostId)).Send(Commands.Stop(hostId, "before", 0));
        await functions.ConsumedAsync<ReplicaStopped>(m => m.HostId == hostId && m.Name == "before");

        await broker.RestartAsync();

        // Sent again until it goes through: the functions' own bus is reconnecting too.
        await Poll.UntilAsync(
            async () =>
            {
                using var bounded = new CancellationTokenSource(TimeSpan.FromSeconds(10));
                await (await functions.HostAsync(hostId)).Send(Commands.Stop(hostId, "after", 0), bounded.Token);
                return true;
            },
            sent => sent,
            TimeSpan.FromSeconds(60),
            "a command sent after the restart");
        await functions.ConsumedAsync<ReplicaStopped>(m => m.HostId == hostId && m.Name == "after");
    }

    /// <summary>
    /// A command whose result cannot be published because the broker went away under it is not tried again against a
    /// broker that is not there, nor moved to the error queue (where an outage longer than the retries would put it):
    /// the broker had it back when the connection dropped, and delivers it again once it returns.
    /// </summary>
    [Fact]
    public async Task Agent_BrokerGoneWhileACommandRuns_LeavesItToTheBrokerAndCarriesItOutOnceBack()
    {
        var hostId = $"gone-{Guid.NewGuid():N}"[..17];
        var engine = new FakeEngine { Gated = "gated" };
        await using var functions = await FunctionsBus.StartAsync(broker.Broker);
        await using var agent = await LeanAgent.StartAsync(broker.Broker, hostId, engine);
        await (await functions.HostAsync(hostId)).Send(Commands.Stop(hostId, "gated", 0));
        await Poll.UntilAsync(() => Task.FromResult(engine.Removals.Count), count => count == 1, TimeSpan.FromSeconds(30), "the stop reaching the engine");

        await broker.RabbitMqCtlAsync("stop_app");
        try
        {
            engine.Release();
            await Poll.UntilAsync(() => Task.FromResult(agent.Pump.HandedBack), handedBack => handedBack == 1, TimeSpan.FromSeconds(30), "the stop handed back to the broker");
            Assert.Single(engine.Removals);
        }
        finally
        {
            await broker.RabbitMqCtlAsync("start_app");
        }

        await functions.ConsumedAsync<ReplicaStopped>(m => m.HostId == hostId && m.Name == "gated");
        Assert.True(engine.Removals.Count >= 2, $"the stop carried out again once the broker was back: {engine.Removals.Count} removal(s)");
        Assert.DoesNotContain($"host.{hostId}_error", await broker.RabbitMqCtlAsync("list_queues", "name"), StringComparison.Ordinal);
    }

    /// <summary>
    /// A host stopping while its broker does not answer stops, and within its own close bounds (a few seconds per
    /// channel and for the connection), not after RabbitMQ.Client's continuation and close timeouts, which took about
    /// 50 s together before the agent bounded them: closing what nobody answers is no failure.
    /// </summary>
    [Fact]
    public async Task Agent_StoppedWhileTheBrokerDoesNotAnswer_ShutsDownWithoutFailing()
    {
        var agent = await LeanAgent.StartAsync(broker.Broker, $"away-{Guid.NewGuid():N}"[..17], new FakeEngine());
        await broker.PauseAsync();
        try
        {
            await agent.DisposeAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(30));
        }
        finally
        {
            await broker.UnpauseAsync();
        }
    }
}
