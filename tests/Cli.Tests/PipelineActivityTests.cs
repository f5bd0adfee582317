using MassTransit;
using Microsoft.Extensions.DependencyInjection;

namespace Workers.Cli.Tests;

public sealed class PipelineActivityTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Next_CompletesOnceAConsumerOnTheBusHasHandledAMessage_AndANewNextWaitsForTheFollowingOne()
    {
        var services = new ServiceCollection();
        services.AddMassTransit(bus =>
        {
            bus.AddConsumer<Handled>();
            bus.UsingInMemory((context, cfg) => cfg.ConfigureEndpoints(context));
        });
        await using var provider = services.BuildServiceProvider();
        var control = provider.GetRequiredService<IBusControl>();
        var activity = new PipelineActivity();
        control.ConnectConsumeObserver(activity);
        await control.StartAsync(CancellationToken.None);
        try
        {
            var first = activity.Next;
            Assert.False(first.IsCompleted);

            await control.Publish(new Ping(1), CancellationToken.None);
            await first.WaitAsync(Deadline, CancellationToken.None);

            var second = activity.Next;
            Assert.NotSame(first, second);
            Assert.False(second.IsCompleted);
            await control.Publish(new Ping(2), CancellationToken.None);
            await second.WaitAsync(Deadline, CancellationToken.None);
        }
        finally
        {
            await control.StopAsync(CancellationToken.None);
        }
    }

    public sealed record Ping(int Number);

    private sealed class Handled : IConsumer<Ping>
    {
        public Task Consume(ConsumeContext<Ping> context) => Task.CompletedTask;
    }
}
