using System.Collections.Concurrent;
using Workers.Functions.Handlers;

namespace Workers.Intake.Tests.Support;

/// <summary>Records every message dispatched; can be told to fail the next dispatches, as a broker outage would.</summary>
internal sealed class RecordingDispatcher : IEffectsDispatcher
{
    private readonly ConcurrentQueue<object> _published = new();
    private int _failures;

    public IReadOnlyList<object> Published => [.. _published];

    public void FailNext(int times) => _failures = times;

    public Task DispatchAsync(Effects effects, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(effects);
        if (Interlocked.Decrement(ref _failures) >= 0)
        {
            throw new InvalidOperationException("broker unreachable");
        }

        foreach (var message in effects.Published)
        {
            _published.Enqueue(message);
        }

        return Task.CompletedTask;
    }
}
