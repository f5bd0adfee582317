using System.Data.Common;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;

namespace Workers.Functions.Store;

/// <summary>
/// The store at start, waited for as the hosts wait for the broker: while it does not answer (a timeout, a refused or
/// dropped connection, anything the driver calls transient) the host logs one line and tries again, 1 s later at first,
/// then doubling to 30 s; any other failure (a refused login, a bad schema) ends the start at once.
/// </summary>
public static partial class StoreStartup
{
    private static readonly TimeSpan FirstRetry = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan LongestRetry = TimeSpan.FromSeconds(30);

    /// <summary>Brings the schema up to date once the store answers.</summary>
    public static Task MigrateWhenReachableAsync(IDeploymentStore store, ILogger logger, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(store);
        return RetryWhileUnreachableAsync(store.MigrateAsync, logger, FirstRetry, cancellationToken);
    }

    internal static async Task RetryWhileUnreachableAsync(Func<CancellationToken, Task> attempt, ILogger logger, TimeSpan firstRetry, CancellationToken cancellationToken)
    {
        var delay = firstRetry;
        for (var attempts = 1; ; attempts++)
        {
            try
            {
                await attempt(cancellationToken);
                return;
            }
            catch (Exception e) when (IsUnreachable(e))
            {
                LogUnreachable(logger, attempts, delay, e.Message);
                await Task.Delay(delay, cancellationToken);
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, LongestRetry.Ticks));
            }
        }
    }

    /// <summary>Whether <paramref name="e"/> says the store did not answer, rather than that it refused.</summary>
    public static bool IsUnreachable(Exception e) => e is DbException { IsTransient: true } or TimeoutException or SocketException;

    [LoggerMessage(31, LogLevel.Warning, "The store does not answer (attempt {Attempt}): {Problem}; trying again in {Delay}")]
    private static partial void LogUnreachable(ILogger logger, int attempt, TimeSpan delay, string problem);
}
