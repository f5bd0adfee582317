using Microsoft.Extensions.Logging;
using Workers.Contracts.Messages;
using Workers.Contracts.Spec;
using Workers.Functions.Tests.Handlers;

namespace Workers.Functions.Tests.Hosting;

/// <summary>The functions host's event log: one structured line per event the store records, in order, each once.</summary>
public sealed class EventLogServiceTests
{
    [Fact]
    public async Task EventLog_EventsRecordedAfterItStarted_AreEachLoggedOnceInOrderWithTheirFieldsAndFailuresAsWarnings()
    {
        await using var harness = await HandlerHarness.CreateAsync();
        var spec = SpecParser.Parse("name: web\nimage: workers-test/httpd:1\n", "web.yaml").Spec!;
        await harness.DeployAsync(spec);
        var logger = new RecordingLogger();
        var log = new EventLogService(harness.Store, harness.Time, logger);
        var start = await log.NewestAsync(CancellationToken.None);
        await harness.Store.AppendEventAsync(new WorkersEvent(0, harness.Time.GetUtcNow(), "host.lost", null, null, "host-b", null, "no heartbeat for 31s"), "lost-1", CancellationToken.None);
        await harness.Store.AppendEventAsync(new WorkersEvent(0, harness.Time.GetUtcNow(), "replica.orphaned", "web", 1, "host-a", 0, "container abc"), "orphan-1", CancellationToken.None);

        var last = await log.LogAfterAsync(start, CancellationToken.None);
        await log.LogAfterAsync(last, CancellationToken.None);

        Assert.Equal(["host.lost", "replica.orphaned"], logger.Entries.Select(e => e.Fields["Kind"]));
        var (level, fields, text) = logger.Entries[0];
        Assert.Equal(LogLevel.Warning, level);
        Assert.Equal(("host-b", "no heartbeat for 31s"), (fields["HostId"], fields["EventMessage"]));
        Assert.StartsWith("Event host.lost on host-b: no heartbeat for 31s (sequence ", text, StringComparison.Ordinal);
        Assert.StartsWith("Event replica.orphaned web r1 #0 on host-a: container abc (sequence ", logger.Entries[1].Text, StringComparison.Ordinal);
        Assert.Equal(LogLevel.Information, logger.Entries[1].Level);
        Assert.Equal(("web", (object?)1L, (object?)0), (logger.Entries[1].Fields["Name"], logger.Entries[1].Fields["Revision"], logger.Entries[1].Fields["Replica"]));
    }

    private sealed class RecordingLogger : ILogger<EventLogService>
    {
        public List<(LogLevel Level, Dictionary<string, object?> Fields, string Text)> Entries { get; } = [];

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var fields = state is IReadOnlyList<KeyValuePair<string, object?>> pairs ? pairs.ToDictionary(p => p.Key, p => p.Value) : [];
            Entries.Add((logLevel, fields, formatter(state, exception)));
        }
    }
}
