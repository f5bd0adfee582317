using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Workers.Functions.Handlers;

namespace Workers.Functions;

/// <summary>Runs the deadline sweep on a timer in the self-hosted functions host.</summary>
internal sealed partial class SweepService(IServiceScopeFactory scopes, IOptions<FunctionsOptions> options, TimeProvider time, ILogger<SweepService> logger) : BackgroundService
{
    /// <summary>The least time between rounds, and how far past a host's deadline the early round runs.</summary>
    private static readonly TimeSpan MinimumWait = TimeSpan.FromMilliseconds(50);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // A sweeper that just started has not heard from anyone yet: give every host one HostTimeout to report in
        // before any of them can be declared down (the embedded CLI, whose process lives seconds, never sweeps).
        var quietUntil = time.GetUtcNow() + options.Value.HostTimeout;
        var interval = options.Value.SweepInterval;
        var wait = interval;
        while (!stoppingToken.IsCancellationRequested)
        {
            await Task.Delay(wait, time, stoppingToken);
            wait = interval;
            if (time.GetUtcNow() < quietUntil)
            {
                continue;
            }

            try
            {
                using var scope = scopes.CreateScope();
                var sweep = scope.ServiceProvider.GetRequiredService<SweepHandler>();
                var effects = await sweep.HandleAsync(stoppingToken);
                await scope.ServiceProvider.GetRequiredService<IEffectsDispatcher>().DispatchAsync(effects, stoppingToken);

                // The next round comes at the next interval, or as a host's time runs out if that is sooner (just
                // after it, so that the host is past the timeout then).
                if (sweep.NextHostDeadline is { } deadline && deadline - time.GetUtcNow() + MinimumWait < wait)
                {
                    wait = TimeSpan.FromTicks(Math.Max(MinimumWait.Ticks, (deadline - time.GetUtcNow() + MinimumWait).Ticks));
                }
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                // The sweep is idempotent and runs again at the next tick; a failed round loses nothing.
                SweepFailed(logger, e);
            }
        }
    }

    [LoggerMessage(1, LogLevel.Warning, "Sweep round failed; it runs again at the next tick")]
    private static partial void SweepFailed(ILogger logger, Exception exception);
}
