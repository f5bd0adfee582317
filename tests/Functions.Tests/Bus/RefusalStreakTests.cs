using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using BrokerNack = RabbitMQ.Client.Exceptions.PublishException;
using Workers.Transport;

namespace Workers.Functions.Tests.Bus;

/// <summary>When refused publishes are one lasting condition, worth new channels, rather than a blip.</summary>
public sealed class RefusalStreakTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 27, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Persists_RefusalsEverySecondForFiveSeconds_IsAStreak()
    {
        var streak = new RefusalStreak();
        for (var s = 0; s <= 5; s++)
        {
            streak.Refused(T0.AddSeconds(s));
        }

        Assert.True(streak.Persists(T0.AddSeconds(6)));
    }

    [Fact]
    public void Persists_ABurstShorterThanTheSpan_IsABlip()
    {
        var streak = new RefusalStreak();
        for (var ms = 0; ms < 4000; ms += 100)
        {
            streak.Refused(T0.AddMilliseconds(ms));
        }

        Assert.False(streak.Persists(T0.AddSeconds(4)));
    }

    [Fact]
    public void Persists_OneStuckPublishRetriedByMassTransit_IsAStreak()
    {
        // MassTransit's send retry: 3 s, then longer, plus a second's breather between attempts.
        var streak = new RefusalStreak();
        foreach (var s in new[] { 0, 4, 11 })
        {
            streak.Refused(T0.AddSeconds(s));
        }

        Assert.True(streak.Persists(T0.AddSeconds(12)));
    }

    [Fact]
    public void Persists_RefusalsFartherApartThanTheGap_StartOver()
    {
        var streak = new RefusalStreak();
        streak.Refused(T0);
        streak.Refused(T0.AddSeconds(10));
        streak.Refused(T0.AddSeconds(10) + RefusalStreak.MaximumGap + TimeSpan.FromSeconds(1));

        Assert.False(streak.Persists(T0.AddSeconds(50)));
    }

    [Fact]
    public void Persists_AStreakWithNoRefusalForLongerThanTheGap_HasEnded()
    {
        var streak = new RefusalStreak();
        for (var s = 0; s <= 6; s++)
        {
            streak.Refused(T0.AddSeconds(s));
        }

        Assert.False(streak.Persists(T0.AddSeconds(6) + RefusalStreak.MaximumGap + TimeSpan.FromSeconds(1)));
    }

    [Fact]
    public void Clear_AfterAReconnect_OnlyNewRefusalsCount()
    {
        var streak = new RefusalStreak();
        for (var s = 0; s <= 6; s++)
        {
            streak.Refused(T0.AddSeconds(s));
        }

        streak.Clear();
        streak.Refused(T0.AddSeconds(7));

        Assert.False(streak.Persists(T0.AddSeconds(8)));
    }

    [Fact]
    public void IsRefusal_ANackWrappedByMassTransit_IsOneAndAReturnOrATimeoutIsNot()
    {
        var nack = new RabbitMqConnectionException("BasicPublishAsync failed", new BrokerNack(1, isReturn: false));
        var returned = new MessageReturnedException("returned", new BrokerNack(1, isReturn: true));

        Assert.True(RefusedPublishes.IsRefusal(nack));
        Assert.False(RefusedPublishes.IsRefusal(returned));
        Assert.False(RefusedPublishes.IsRefusal(new TimeoutException("the broker did not confirm within 1 s")));
    }

    [Fact]
    public async Task IsStoppedTransport_WhatAStoppedConnectionsSupervisorThrows_IsOneAndAnyOtherCancellationIsNot()
    {
        var supervisor = new MassTransit.Middleware.Supervisor();
        await supervisor.Stop();
        var stopped = Record.Exception(() => supervisor.Add(new MassTransit.Middleware.Supervisor()));

        Assert.True(RefusedPublishes.IsStoppedTransport(stopped));
        Assert.True(RefusedPublishes.IsStoppedTransport(new InvalidOperationException("consume failed", stopped)));
        Assert.False(RefusedPublishes.IsStoppedTransport(new OperationCanceledException()));
        Assert.False(RefusedPublishes.IsStoppedTransport(new TaskCanceledException("the engine did not answer in time")));
    }

    [Fact]
    public async Task ConsumeFault_ConsumersFailingOnAStoppedTransportForFiveSeconds_IsAStreakAndOtherFailuresAreNot()
    {
        var time = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(T0);
        var refusals = new RefusedPublishes(time);
        var services = new ServiceCollection()
            .AddSingleton(refusals)
            .AddReceiveObserver(provider => provider.GetRequiredService<RefusedPublishes>())
            .AddMassTransitTestHarness(bus => bus.AddConsumer<FailingConsumer>())
            // The harness stops waiting for a message after 1.2 s without bus activity by default: too short on a
            // loaded machine (a fresh clone's run once waited in vain).
            .Configure<MassTransit.TestHarnessOptions>(options => options.TestInactivityTimeout = TimeSpan.FromSeconds(30));
        await using var provider = services.BuildServiceProvider(validateScopes: true);
        var harness = provider.GetRequiredService<MassTransit.Testing.ITestHarness>();
        await harness.Start();

        foreach (var (seconds, stopped) in new[] { (0, false), (0, true), (3, true), (6, true) })
        {
            time.SetUtcNow(T0.AddSeconds(seconds));
            var id = Guid.NewGuid();
            await harness.Bus.Publish(new Failing(id, stopped));
            Assert.True(await harness.Consumed.Any<Failing>(m => m.Context.Message.Id == id && m.Exception is not null));
            if (seconds < 6)
            {
                Assert.False(refusals.Streak.Persists(T0.AddSeconds(seconds)));
            }
        }

        // The observer hears of the fault after the harness records it.
        await Workers.Testing.Poll.UntilAsync(
            () => Task.FromResult(refusals.Streak.Persists(T0.AddSeconds(6))),
            persists => persists,
            TimeSpan.FromSeconds(10),
            "a streak of three stopped-transport faults over six seconds");
    }

    public sealed record Failing(Guid Id, bool OnAStoppedTransport);

    private sealed class FailingConsumer : IConsumer<Failing>
    {
        public async Task Consume(ConsumeContext<Failing> context)
        {
            if (!context.Message.OnAStoppedTransport)
            {
                throw new OperationCanceledException("a cancellation of another kind");
            }

            var supervisor = new MassTransit.Middleware.Supervisor();
            await supervisor.Stop();
            supervisor.Add(new MassTransit.Middleware.Supervisor());
        }
    }
}
