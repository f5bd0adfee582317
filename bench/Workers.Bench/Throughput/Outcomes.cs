using System.Collections.Concurrent;
using System.Diagnostics;
using MassTransit;
using Workers.Contracts.Messages;
using Workers.Transport;

namespace Workers.Bench.Throughput;

/// <summary>
/// Subscribes to how deployments end (succeeded, failed, rejected) and notes when each of this round's ended: the
/// clock stops at the last one. Failures and rejections are kept with their reasons, to be reported.
/// </summary>
internal sealed class Outcomes
{
    public const string Queue = "bench.throughput.outcomes";

    private readonly ConcurrentDictionary<Guid, string> _failures = new();
    private readonly Lock _gate = new();
    private HashSet<Guid> _expected = [];
    private int _pending;
    private int _succeeded;
    private long _last;
    private TaskCompletionSource _done = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public int Succeeded => Volatile.Read(ref _succeeded);

    /// <summary>Failed or rejected deployments of this round, with what they said.</summary>
    public IReadOnlyDictionary<Guid, string> Failures => _failures;

    /// <summary>The <see cref="Stopwatch"/> timestamp of the last outcome of this round.</summary>
    public long Last => Interlocked.Read(ref _last);

    public void ConfigureEndpoint(IBusFactoryConfigurator<IReceiveEndpointConfigurator> cfg) =>
        cfg.ReceiveEndpoint(Queue, endpoint =>
        {
            endpoint.ApplyWorkersEndpointPolicy();
            endpoint.Handler<DeploymentSucceeded>(context => Seen(context.Message.CorrelationId, null));
            endpoint.Handler<DeploymentFailed>(context => Seen(context.Message.CorrelationId, $"failed: {context.Message.Reason}"));
            endpoint.Handler<DeploymentRejected>(context => Seen(context.Message.CorrelationId, $"rejected: {context.Message.Reason}"));

            // A message whose retries ran out went to an error queue: its deployment will never end by itself.
            endpoint.Handler<Fault<DeploymentRequested>>(context => Seen(context.Message.Message.CorrelationId, Faulted("validate", context.Message)));
            endpoint.Handler<Fault<DeploymentAccepted>>(context => Seen(context.Message.Message.CorrelationId, Faulted("plan", context.Message)));
            endpoint.Handler<Fault<ReplicaStarted>>(context => Seen(context.Message.Message.CorrelationId, Faulted("track", context.Message)));
        });

    private static string Faulted(string function, Fault fault) =>
        $"{function} gave up after its retries (error queue): {fault.Exceptions.FirstOrDefault()?.ExceptionType.Split('.')[^1]}: {fault.Exceptions.FirstOrDefault()?.Message.Split('\n')[0]}";

    public void Expect(IEnumerable<Guid> deployments)
    {
        lock (_gate)
        {
            _expected = [.. deployments];
            Volatile.Write(ref _pending, _expected.Count);
        }

        _failures.Clear();
        Volatile.Write(ref _succeeded, 0);
        Interlocked.Exchange(ref _last, 0);
        _done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    /// <summary>True when every deployment of the round ended within <paramref name="deadline"/>.</summary>
    public async Task<bool> WaitAsync(TimeSpan deadline)
    {
        try
        {
            await _done.Task.WaitAsync(deadline);
            return true;
        }
        catch (TimeoutException)
        {
            return false;
        }
    }

    public int Pending => Volatile.Read(ref _pending);

    private Task Seen(Guid deployment, string? failure)
    {
        var now = Stopwatch.GetTimestamp();
        lock (_gate)
        {
            // Only this round's, and each once (a redelivered outcome is not a second deployment).
            if (!_expected.Remove(deployment))
            {
                return Task.CompletedTask;
            }
        }

        if (failure is null)
        {
            Interlocked.Increment(ref _succeeded);
        }
        else
        {
            _failures[deployment] = failure;
        }

        Interlocked.Exchange(ref _last, now);
        if (Interlocked.Decrement(ref _pending) == 0)
        {
            _done.TrySetResult();
        }

        return Task.CompletedTask;
    }
}
