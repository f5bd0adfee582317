using Workers.HostAgent.Agent;

namespace Workers.HostAgent.Tests.Agent;

/// <summary>The heartbeat's wake-up: exits that come together are one heartbeat, and a wake-up is never swallowed.</summary>
public sealed class WakeSignalTests
{
    [Fact]
    public async Task Wake_ManyTimesBeforeTheWaiterTakesIt_IsOneWakeUp()
    {
        var signal = new WakeSignal();

        for (var i = 0; i < 10; i++)
        {
            signal.Wake();
        }

        await signal.WaitAsync(CancellationToken.None);
        Assert.False(signal.WaitAsync(CancellationToken.None).IsCompleted);
    }

    [Fact]
    public async Task Wake_WhileAWakeUpIsPending_ThrowsNothing_NotEvenAnExceptionCaughtInside()
    {
        var signal = new WakeSignal();
        var thrown = 0;
        void Count(object? sender, System.Runtime.ExceptionServices.FirstChanceExceptionEventArgs e)
        {
            if (e.Exception is SemaphoreFullException)
            {
                Interlocked.Increment(ref thrown);
            }
        }

        AppDomain.CurrentDomain.FirstChanceException += Count;
        try
        {
            await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Run(() =>
            {
                for (var i = 0; i < 1_000; i++)
                {
                    signal.Wake();
                }
            })));
        }
        finally
        {
            AppDomain.CurrentDomain.FirstChanceException -= Count;
        }

        Assert.Equal(0, thrown);
        await signal.WaitAsync(CancellationToken.None);
        Assert.False(signal.WaitAsync(CancellationToken.None).IsCompleted);
    }

    [Fact]
    public async Task Wait_AbandonedForATickThenAskedAgain_IsTheSameWaitAndTakesTheNextWakeUp()
    {
        var signal = new WakeSignal();
        var first = signal.WaitAsync(CancellationToken.None);

        var again = signal.WaitAsync(CancellationToken.None);
        signal.Wake();

        Assert.Same(first, again);
        await again;
        Assert.False(signal.WaitAsync(CancellationToken.None).IsCompleted);
    }

    [Fact]
    public async Task Wake_AfterTheLastWakeUpWasTaken_WakesAgain()
    {
        var signal = new WakeSignal();
        signal.Wake();
        await signal.WaitAsync(CancellationToken.None);

        signal.Wake();

        await signal.WaitAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10));
    }
}
