using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Workers.Functions.Handlers;

namespace Workers.Functions.Bus;

/// <summary>Runs the deadline sweep on a timer in the self-hosted functions host.</summary>
internal sealed partial class SweepService(IServiceScopeFactory scopes, IOptions<FunctionsOptions> options, TimeProvider time, ILogger<SweepService> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // A sweeper that just started has not heard from anyone yet: give every host one HostTimeout to report in
        // before any of them can be declared down (the embedded CLI, whose process lives seconds, never sweeps).
        var quietUntil = time.GetUtcNow() + options.Value.HostTimeout;
        using var timer = new PeriodicTimer(options.Value.SweepInterval, time);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            if (time.GetUtcNow() < quietUntil)
            {
                continue;
            }

            try
            {
                using var scope = scopes.CreateScope();
                var effects = await scope.ServiceProvider.GetRequiredService<SweepHandler>().HandleAsync(stoppingToken);
                await scope.ServiceProvider.GetRequiredService<IEffectsDispatcher>().DispatchAsync(effects, stoppingToken);
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
