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
        if (logger.IsEnabled(level))
        {
            logger.Log(level, EventLine.Id, new EventLine(entry), null, static (line, _) => line.Text);
        }
    }

    /// <summary>
    /// One event as a log entry: every field structured (for a JSON formatter), and a line that names only what the
    /// event has (<c>Event host.lost on host-b: no heartbeat for 31s</c>, not <c>host.lost  r # on host-b</c>).
    /// </summary>
    private sealed class EventLine(WorkersEvent entry) : IReadOnlyList<KeyValuePair<string, object?>>
    {
        public static readonly EventId Id = new(100, "workers.event");

        private readonly KeyValuePair<string, object?>[] _fields =
        [
            new("Kind", entry.Kind),
            new("Name", entry.Name),
            new("Revision", entry.Revision),
            new("Replica", entry.Replica),
            new("HostId", entry.HostId),
            new("EventMessage", entry.Message),
            new("Sequence", entry.Sequence),
            new("At", entry.At),
            new("{OriginalFormat}", "Event {Kind} {Name} r{Revision} #{Replica} on {HostId}: {EventMessage} (sequence {Sequence}, at {At})"),
        ];

        public string Text
        {
            get
            {
                var text = new System.Text.StringBuilder("Event ").Append(entry.Kind);
                text.Append(entry.Name is { } name ? $" {name}" : string.Empty)
                    .Append(entry.Revision is { } revision ? $" r{revision}" : string.Empty)
                    .Append(entry.Replica is { } replica ? $" #{replica}" : string.Empty)
                    .Append(entry.HostId is { } host ? $" on {host}" : string.Empty)
                    .Append(string.IsNullOrEmpty(entry.Message) ? string.Empty : $": {entry.Message}");
                return text.Append(System.Globalization.CultureInfo.InvariantCulture, $" (sequence {entry.Sequence}, at {entry.At:O})").ToString();
            }
        }

        public int Count => _fields.Length;

        public KeyValuePair<string, object?> this[int index] => _fields[index];

        public IEnumerator<KeyValuePair<string, object?>> GetEnumerator() => ((IEnumerable<KeyValuePair<string, object?>>)_fields).GetEnumerator();

        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();

        public override string ToString() => Text;
    }

    [LoggerMessage(EventId = 101, Level = LogLevel.Warning, Message = "More than {Batch} events came within one round: only the newest {Batch} are logged")]
    private static partial void Skipped(ILogger logger, int batch);

    [LoggerMessage(EventId = 102, Level = LogLevel.Warning, Message = "Reading new events to log failed; the next round reads on from the last one logged")]
    private static partial void ReadFailed(ILogger logger, Exception exception);
}
