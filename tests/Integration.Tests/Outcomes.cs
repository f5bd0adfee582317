using System.Collections.Concurrent;
using MassTransit;
using Workers.Contracts.Messages;

namespace Workers.Integration.Tests;

/// <summary>Every deployment outcome event a subscriber on the bus heard, in arrival order.</summary>
public sealed class Outcomes
{
    private readonly ConcurrentQueue<object> _heard = new();

    public void Add(object message) => _heard.Enqueue(message);

    /// <summary>The outcomes of one deployment id.</summary>
    public IReadOnlyList<T> Of<T>(Guid correlationId)
        where T : class =>
        [.. _heard.OfType<T>().Where(m => CorrelationId(m) == correlationId)];

    private static Guid CorrelationId(object message) => message switch
    {
        DeploymentSucceeded m => m.CorrelationId,
        DeploymentFailed m => m.CorrelationId,
        DeploymentRolledBack m => m.CorrelationId,
        _ => Guid.Empty,
    };
}

/// <summary>A subscriber, as any other service on the bus would be.</summary>
public sealed class OutcomeRecorder(Outcomes outcomes) : IConsumer<DeploymentSucceeded>, IConsumer<DeploymentFailed>, IConsumer<DeploymentRolledBack>
{
    public Task Consume(ConsumeContext<DeploymentSucceeded> context) => Record(context.Message);

    public Task Consume(ConsumeContext<DeploymentFailed> context) => Record(context.Message);

    public Task Consume(ConsumeContext<DeploymentRolledBack> context) => Record(context.Message);

    private Task Record(object message)
    {
        outcomes.Add(message);
        return Task.CompletedTask;
    }
}
