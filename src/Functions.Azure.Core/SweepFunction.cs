using Microsoft.Azure.Functions.Worker;
using Workers.Functions.Handlers;

namespace Workers.Functions.Azure;

/// <summary>The periodic sweep on a timer: the handler decides, the dispatcher carries out what it returns.</summary>
public sealed class SweepFunction(SweepHandler sweep, IEffectsDispatcher dispatcher)
{
    /// <summary>Every 15 seconds: well inside the default 30 s host timeout, so a dead host's replicas move soon.</summary>
    public const string Schedule = "*/15 * * * * *";

    [Function(nameof(Sweep))]
    public async Task Sweep([TimerTrigger(Schedule)] TimerInfo timer, CancellationToken cancellationToken) =>
        await dispatcher.DispatchAsync(await sweep.HandleAsync(cancellationToken), cancellationToken);
}
