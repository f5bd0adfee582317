namespace Workers.HostAgent.Agent;

/// <summary>
/// A wake-up that coalesces: any number of <see cref="Wake"/> calls before the waiter takes it are one wake-up, since
/// the heartbeat that answers them is read after all of them and reports them all. (Counted, ten containers stopping at
/// once queued ten heartbeats, each a container list the engine had to answer while it was removing them.)
/// </summary>
internal sealed class WakeSignal
{
    private readonly SemaphoreSlim _pending = new(0, 1);
    private readonly Lock _gate = new();
    private Task? _waiting;

    public void Wake()
    {
        // Only wakes contend for the gate; the waiter can only take a pending wake-up, never add one, so a count of 0 seen
        // here is still 0 at the release, and releasing never overflows (no SemaphoreFullException thrown and caught).
        lock (_gate)
        {
            if (_pending.CurrentCount == 0)
            {
                _pending.Release();
            }

            // Otherwise a wake-up is pending already: this one is part of it.
        }
    }

    /// <summary>
    /// The wake-up to wait for. The same task until it completes, so a waiter that gave up on it for a timer tick does
    /// not leave a second wait behind that would swallow the next wake-up.
    /// </summary>
    public Task WaitAsync(CancellationToken cancellationToken)
    {
        if (_waiting is not { IsCompleted: false })
        {
            _waiting = _pending.WaitAsync(cancellationToken);
        }

        return _waiting;
    }
}
