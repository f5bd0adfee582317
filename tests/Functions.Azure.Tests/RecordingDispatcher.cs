using System.Collections.Concurrent;
using Workers.Functions.Handlers;

namespace Workers.Functions.Azure.Tests;

/// <summary>Records each dispatch; fails the next ones when told to.</summary>
internal sealed class RecordingDispatcher : IEffectsDispatcher
{
    private readonly ConcurrentQueue<Effects> _dispatched = new();

    public IReadOnlyList<Effects> Dispatched => [.. _dispatched];

    public IReadOnlyList<object> Published => [.. _dispatched.SelectMany(e => e.Published)];

    public bool Fail { get; set; }

    public Task DispatchAsync(Effects effects, CancellationToken cancellationToken)
    {
        if (Fail)
        {
            throw new InvalidOperationException("Service Bus unreachable");
        }

        _dispatched.Enqueue(effects);
        return Task.CompletedTask;
    }
}
