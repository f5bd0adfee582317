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
}
