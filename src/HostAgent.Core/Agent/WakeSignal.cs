namespace Workers.HostAgent.Agent;

/// <summary>
/// A wake-up that coalesces: any number of <see cref="Wake"/> calls before the waiter takes it are one wake-up, since
/// the heartbeat that answers them is read after all of them and reports them all. (Counted, ten containers stopping at
/// once queued ten heartbeats, each a container list the engine had to answer while it was removing them.)
/// </summary>
internal sealed class WakeSignal
{
    private readonly SemaphoreSlim _pending = new(0, 1);
    private Task? _waiting;

    public void Wake()
    {
        try
        {
            _pending.Release();
        }
        catch (SemaphoreFullException)
        {
            // A wake-up is pending already: this one is part of it.
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
