using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Workers.Contracts.Messages;
using Workers.Functions.Store;

namespace Workers.Functions;

/// <summary>
/// Writes every event the store records as one structured log line (<c>workers.event</c>, with kind, name, revision,
/// replica, host and message as fields), in order, as they are appended: the store's triggers record events in the
/// same statement as the change, so the log follows the store rather than the handlers. Starts after the newest event
/// already recorded; every functions process that runs it logs every event.
/// </summary>
internal sealed partial class EventLogService(IDeploymentStore store, TimeProvider time, ILogger<EventLogService> logger) : BackgroundService
{
    /// <summary>How often the store is asked for what is new: about how late a line comes after its event.</summary>
    internal static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);

    /// <summary>The most events one round reads.</summary>
    internal const int Batch = 1000;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        long? last = null;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                last = last is null ? await NewestAsync(stoppingToken) : await LogAfterAsync(last.Value, stoppingToken);
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                // Nothing is lost: the next round reads on from the last event logged.
                ReadFailed(logger, e);
            }

            await Task.Delay(Interval, time, stoppingToken);
        }
    }

    /// <summary>Logs every event after <paramref name="after"/>, oldest first; the sequence of the last one logged.</summary>
    internal async Task<long> LogAfterAsync(long after, CancellationToken cancellationToken)
    {
        var events = await store.GetEventsAsync(new EventQuery(After: after, Limit: Batch), cancellationToken);
        if (events.Count == Batch)
        {
            Skipped(logger, Batch);
        }

        foreach (var entry in events)
        {
            Log(entry);
        }

        return events.Count == 0 ? after : events[^1].Sequence;
    }

    /// <summary>The sequence to read on from: the newest event already recorded, or 0.</summary>
    internal async Task<long> NewestAsync(CancellationToken cancellationToken) =>
        (await store.GetEventsAsync(new EventQuery(Limit: 1), cancellationToken)).LastOrDefault()?.Sequence ?? 0;

    private void Log(WorkersEvent entry)
    {
        // Host events and failures stand out at Warning, as Kubernetes marks its events Normal or Warning.
        var level = entry.Kind is "deployment.rejected" or "deployment.failed" or "deployment.rollingback" or "replica.failed" or "replica.unhealthy" or "replica.lost" or "host.lost" or "webhook.refused"
            ? LogLevel.Warning
            : LogLevel.Information;
        Event(logger, level, entry.Kind, entry.Name, entry.Revision, entry.Replica, entry.HostId, entry.Message, entry.Sequence, entry.At);
    }

    [LoggerMessage(EventId = 100, EventName = "workers.event", Message = "Event {Kind} {Name} r{Revision} #{Replica} on {HostId}: {EventMessage} (sequence {Sequence}, at {At:O})")]
    private static partial void Event(ILogger logger, LogLevel level, string kind, string? name, long? revision, int? replica, string? hostId, string eventMessage, long sequence, DateTimeOffset at);

    [LoggerMessage(EventId = 101, Level = LogLevel.Warning, Message = "More than {Batch} events came within one round: only the newest {Batch} are logged")]
    private static partial void Skipped(ILogger logger, int batch);

    [LoggerMessage(EventId = 102, Level = LogLevel.Warning, Message = "Reading new events to log failed; the next round reads on from the last one logged")]
    private static partial void ReadFailed(ILogger logger, Exception exception);
}
