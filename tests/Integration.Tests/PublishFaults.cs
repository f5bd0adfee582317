using System.Collections.Concurrent;
using MassTransit;
using Workers.Contracts.Messages;

namespace Workers.Integration.Tests;

/// <summary>
/// Makes the functions' first publish of a deployment's <see cref="DeploymentSucceeded"/> fail, as a process killed
/// between its store transition and its publish would leave it: the transition is committed, the event never reached
/// the broker, and the consumer's message is run again (the endpoint's retry, as a redelivery after a kill). Only
/// publishes from inside a consumer are failed: one made by the sweep has no message to be redelivered.
/// </summary>
public sealed class PublishFaults
{
    private readonly ConcurrentDictionary<string, bool> _armed = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, int> _failed = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, int> _passedOutsideConsumer = new(StringComparer.Ordinal);

    public void FailFirstSuccessOf(string name) => _armed[name] = true;

    /// <summary>How many publishes of <paramref name="name"/>'s success were failed.</summary>
    public int Failed(string name) => _failed.GetValueOrDefault(name);

    /// <summary>How many went out from outside a consumer (the sweep took the transition first) while armed.</summary>
    public int PassedOutsideConsumer(string name) => _passedOutsideConsumer.GetValueOrDefault(name);

    internal bool ShouldFail(object message, bool fromConsumer)
    {
        if (message is not DeploymentSucceeded succeeded || !_armed.ContainsKey(succeeded.Name))
        {
            return false;
        }

        if (!fromConsumer)
        {
            _passedOutsideConsumer.AddOrUpdate(succeeded.Name, 1, (_, n) => n + 1);
            return false;
        }

        if (!_armed.TryRemove(succeeded.Name, out _))
        {
            return false;
        }

        _failed.AddOrUpdate(succeeded.Name, 1, (_, n) => n + 1);
        return true;
    }
}

/// <summary>The functions host's publish filter that carries out <see cref="PublishFaults"/>.</summary>
public sealed class PublishFaultFilter<T>(PublishFaults faults) : IFilter<PublishContext<T>>
    where T : class
{
    public Task Send(PublishContext<T> context, IPipe<PublishContext<T>> next) =>
        faults.ShouldFail(context.Message, context.TryGetPayload<ConsumeContext>(out _))
            ? throw new IOException($"injected: the functions died before publishing {typeof(T).Name}")
            : next.Send(context);

    public void Probe(ProbeContext context) => context.CreateFilterScope("publishFaults");
}
