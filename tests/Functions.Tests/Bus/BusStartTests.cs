using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Workers.Transport;

namespace Workers.Functions.Tests.Bus;

/// <summary>How long a process waits for the broker at start: a daemon as long as it takes, a command a minute.</summary>
public sealed class BusStartTests
{
    [Fact]
    public void WaitForTheBroker_ADaemonsBus_StartsWhenTheBrokerAnswersHoweverLongThatTakes()
    {
        using var daemon = new ServiceCollection().AddWorkersBus(Broker.InMemory, _ => { }, (_, _) => { }).WaitForTheBroker().BuildServiceProvider();
        using var command = new ServiceCollection().AddWorkersBus(Broker.InMemory, _ => { }, (_, _) => { }).BuildServiceProvider();

        var waits = daemon.GetRequiredService<IOptions<MassTransitHostOptions>>().Value;
        var bounded = command.GetRequiredService<IOptions<MassTransitHostOptions>>().Value;

        Assert.Equal((true, (TimeSpan?)null), (waits.WaitUntilStarted, waits.StartTimeout));
        Assert.Equal((true, (TimeSpan?)TimeSpan.FromSeconds(60)), (bounded.WaitUntilStarted, bounded.StartTimeout));
    }
}
