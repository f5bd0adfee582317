using Microsoft.Extensions.Options;

namespace Workers.Intake.Http;

/// <summary>
/// The slots for webhook bodies whose signature is not known yet, shared by both webhooks: a request past them is
/// answered 429 unread, so unsigned senders cannot make the intake read (and spool) any number of bodies at once.
/// </summary>
public sealed class UnverifiedBodies : IDisposable
{
    private readonly SemaphoreSlim _slots;
    private readonly int _capacity;

    public UnverifiedBodies(IOptions<IntakeOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _capacity = options.Value.MaxUnverifiedBodies;
        _slots = new SemaphoreSlim(_capacity);
        Timeout = options.Value.UnverifiedBodyTimeout;
    }

    /// <summary>How long a body may take to arrive.</summary>
    public TimeSpan Timeout { get; }

    /// <summary>How many slots are taken now.</summary>
    public int Taken => _capacity - _slots.CurrentCount;

    /// <summary>A slot to read one body in, released when disposed; null when every slot is taken.</summary>
    public IDisposable? TryEnter() => _slots.Wait(0) ? new Slot(_slots) : null;

    public void Dispose() => _slots.Dispose();

    private sealed class Slot(SemaphoreSlim slots) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
            {
                slots.Release();
            }
        }
    }
}
