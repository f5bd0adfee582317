using System.Collections.Concurrent;
using System.Diagnostics;
using MassTransit;
using Workers.Contracts.Messages;

namespace Workers.Bench.Latency;

/// <summary>
/// A temporary receive endpoint on the client's bus that hears the pipeline's outcome events, stamped with
/// <see cref="Stopwatch.GetTimestamp"/> on arrival: the moment "every replica reported running" reaches the client.
/// With <c>--trace</c> it also hears acceptance and each replica's start, to show where the time goes.
/// </summary>
internal sealed class DeploymentObserver : IAsyncDisposable
{
    private readonly ConcurrentDictionary<Guid, TaskCompletionSource<(object Outcome, long At)>> _outcomes = new();
    private readonly ConcurrentDictionary<string, TaskCompletionSource> _deletions = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<Guid, ConcurrentQueue<(string What, long At)>> _trace = new();
    private HostReceiveEndpointHandle? _handle;

    public static async Task<DeploymentObserver> ConnectAsync(IBus bus, CancellationToken cancellationToken)
    {
        var observer = new DeploymentObserver();
        observer._handle = bus.ConnectReceiveEndpoint(new TemporaryEndpointDefinition(), KebabCaseEndpointNameFormatter.Instance, endpoint =>
        {
            endpoint.Handler<DeploymentSucceeded>(c => observer.Settle(c.Message.CorrelationId, c.Message));
            endpoint.Handler<DeploymentFailed>(c => observer.Settle(c.Message.CorrelationId, c.Message));
            endpoint.Handler<DeploymentRejected>(c => observer.Settle(c.Message.CorrelationId, c.Message));
            endpoint.Handler<DeploymentDeleted>(c =>
            {
                if (observer._deletions.TryRemove(c.Message.Name, out var waiter))
                {
                    waiter.TrySetResult();
                }

                return Task.CompletedTask;
            });
            endpoint.Handler<DeploymentAccepted>(c => observer.Note(c.Message.CorrelationId, "accepted"));
            endpoint.Handler<ReplicaStarted>(c => observer.Note(c.Message.CorrelationId, $"replica {c.Message.Index} started"));
        });
        await observer._handle.Ready.WaitAsync(cancellationToken);
        return observer;
    }

    public Task<(object Outcome, long At)> ExpectOutcome(Guid deploymentId)
    {
        _trace[deploymentId] = new();
        return _outcomes.GetOrAdd(deploymentId, _ => new(TaskCreationOptions.RunContinuationsAsynchronously)).Task;
    }

    public Task ExpectDeletion(string name) =>
        _deletions.GetOrAdd(name, _ => new(TaskCreationOptions.RunContinuationsAsynchronously)).Task;

    /// <summary>What was heard about the deployment, in order, as (event, timestamp).</summary>
    public IReadOnlyList<(string What, long At)> Trace(Guid deploymentId) =>
        _trace.TryRemove(deploymentId, out var events) ? [.. events.OrderBy(e => e.At)] : [];

    public async ValueTask DisposeAsync()
    {
        if (_handle is not null)
        {
            await _handle.StopAsync();
        }
    }

    private Task Settle(Guid deploymentId, object outcome)
    {
        var at = Stopwatch.GetTimestamp();
        Note(deploymentId, outcome.GetType().Name);
        if (_outcomes.TryRemove(deploymentId, out var waiter))
        {
            waiter.TrySetResult((outcome, at));
        }

        return Task.CompletedTask;
    }

    private Task Note(Guid deploymentId, string what)
    {
        if (_trace.TryGetValue(deploymentId, out var events))
        {
            events.Enqueue((what, Stopwatch.GetTimestamp()));
        }

        return Task.CompletedTask;
    }
}
