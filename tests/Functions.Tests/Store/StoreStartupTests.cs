using Microsoft.Extensions.Logging;
using Npgsql;
using Workers.Functions.Store;

namespace Workers.Functions.Tests.Store;

/// <summary>A host waits for a store that does not answer yet (as it waits for the broker), and stops at once on one that refuses.</summary>
public sealed class StoreStartupTests
{
    private static readonly TimeSpan Quick = TimeSpan.FromMilliseconds(1);

    [Fact]
    public async Task Migrate_WhileTheStoreTimesOut_TriesAgainUntilItAnswersAndLogsEachMiss()
    {
        var attempts = 0;
        var logger = new LinesLogger();

        await StoreStartup.RetryWhileUnreachableAsync(
            _ => ++attempts < 3 ? Task.FromException(new NpgsqlException("The operation has timed out", new TimeoutException())) : Task.CompletedTask,
            logger,
            Quick,
            CancellationToken.None);

        Assert.Equal(3, attempts);
        Assert.Collection(
            logger.Lines,
            line => Assert.StartsWith("Warning The store does not answer (attempt 1): The operation has timed out; trying again in 00:00:00.001", line, StringComparison.Ordinal),
            line => Assert.StartsWith("Warning The store does not answer (attempt 2): The operation has timed out; trying again in 00:00:00.002", line, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Migrate_StoreThatRefusesTheLogin_FailsAtOnceWithoutTryingAgain()
    {
        var attempts = 0;
        var refused = new PostgresException("password authentication failed for user \"workers\"", "FATAL", "FATAL", "28P01");

        var thrown = await Assert.ThrowsAsync<PostgresException>(() => StoreStartup.RetryWhileUnreachableAsync(
            _ =>
            {
                attempts++;
                return Task.FromException(refused);
            },
            new LinesLogger(),
            Quick,
            CancellationToken.None));

        Assert.Same(refused, thrown);
        Assert.Equal(1, attempts);
        Assert.False(StoreStartup.IsUnreachable(refused));
    }

    [Fact]
    public async Task Migrate_StoppedWhileWaitingForTheStore_EndsCancelled()
    {
        using var stop = new CancellationTokenSource();
        var attempts = 0;

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => StoreStartup.RetryWhileUnreachableAsync(
            _ =>
            {
                if (++attempts == 2)
                {
                    stop.Cancel();
                }

                return Task.FromException(new TimeoutException("no answer"));
            },
            new LinesLogger(),
            Quick,
            stop.Token));

        Assert.Equal(2, attempts);
    }

    private sealed class LinesLogger : ILogger
    {
        public List<string> Lines { get; } = [];

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            Lines.Add($"{logLevel} {formatter(state, exception)}");
    }
}
