using Microsoft.Extensions.Time.Testing;
using Workers.Transport;

namespace Workers.Functions.Tests.Bus;

public sealed class PeriodicTimersTests
{
    private static readonly TimeSpan Period = TimeSpan.FromSeconds(1);

    [Fact]
    public async Task NextTick_TrueWhenThePeriodHasPassed()
    {
        var time = new FakeTimeProvider();
        using var timer = new PeriodicTimer(Period, time);
        using var stopping = new CancellationTokenSource();

        var tick = timer.NextTickAsync(stopping.Token).AsTask();
        Assert.False(tick.IsCompleted);
        time.Advance(Period);

        Assert.True(await tick);
    }

    [Fact]
    public async Task NextTick_Stopping_EndsTheWaitWithFalse_NotACancellation()
    {
        var time = new FakeTimeProvider();
        using var timer = new PeriodicTimer(Period, time);
        using var stopping = new CancellationTokenSource();
        var tick = timer.NextTickAsync(stopping.Token).AsTask();

        await stopping.CancelAsync();

        Assert.False(await tick);
        Assert.False(await timer.NextTickAsync(stopping.Token));
    }

    [Fact]
    public async Task NextTick_AlreadyStopping_FalseWithoutWaiting()
    {
        var time = new FakeTimeProvider();
        using var timer = new PeriodicTimer(Period, time);

        Assert.False(await timer.NextTickAsync(new CancellationToken(canceled: true)));
    }
}
