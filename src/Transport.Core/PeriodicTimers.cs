namespace Workers.Transport;

/// <summary>The ticks of a long-running loop's <see cref="PeriodicTimer"/>, ended by its stopping token without an exception.</summary>
public static class PeriodicTimers
{
    /// <summary>
    /// True at the timer's next tick; false once <paramref name="stopping"/> is cancelled (or the timer disposed).
    /// <see cref="PeriodicTimer.WaitForNextTickAsync"/> with a token throws when it is cancelled, and the runtime gives
    /// that exception a stack trace with file and line: the first one loads the symbol reader and reads the PDBs, about
    /// 25 ms at the end of every embedded <c>workers</c> command, for an exception nobody looks at.
    /// </summary>
    public static async ValueTask<bool> NextTickAsync(this PeriodicTimer timer, CancellationToken stopping)
    {
        ArgumentNullException.ThrowIfNull(timer);
        using var stop = stopping.Register(static state => ((PeriodicTimer)state!).Dispose(), timer);
        return await timer.WaitForNextTickAsync(CancellationToken.None) && !stopping.IsCancellationRequested;
    }
}
