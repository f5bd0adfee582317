using System.Collections.Concurrent;
using System.Diagnostics;

namespace Workers.Bench.Throughput;

/// <summary>
/// Where the time of the functions goes, from the traces MassTransit and Npgsql already emit: per consumer, its
/// messages, time, and how much of it was spent in store round trips and in publishing or sending (each awaiting the
/// broker's confirm); per SQL statement and consumer, its count and client-side time. Only listened to in the
/// profiled round, as listening costs a little.
/// </summary>
internal sealed class ActivityProfile : IDisposable
{
    private readonly ActivityListener _listener;
    private readonly ConcurrentDictionary<string, Stat> _consumers = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<(string Consumer, string Sql), Stat> _queries = new();
    private readonly ConcurrentDictionary<(string Consumer, string Operation), Stat> _outgoing = new();
    private readonly ConcurrentDictionary<string, byte> _dumped = new(StringComparer.Ordinal);
    private readonly bool _dump = Environment.GetEnvironmentVariable("BENCH_DUMP_ACTIVITIES") == "1";

    public ActivityProfile()
    {
        _listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name is "MassTransit" or "Npgsql",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = Stopped,
        };
        ActivitySource.AddActivityListener(_listener);
    }

    public IReadOnlyDictionary<string, Stat> Consumers => _consumers;

    public IReadOnlyDictionary<(string Consumer, string Sql), Stat> Queries => _queries;

    public IReadOnlyDictionary<(string Consumer, string Operation), Stat> Outgoing => _outgoing;

    public void Dispose() => _listener.Dispose();

    private void Stopped(Activity activity)
    {
        if (_dump && _dumped.TryAdd($"{activity.Source.Name}|{activity.OperationName}|{activity.Kind}", 0))
        {
            Console.Error.WriteLine($"[activity] {activity.Source.Name} '{activity.OperationName}' '{activity.DisplayName}' {activity.Kind} parent={activity.Parent?.OperationName} tags: {string.Join(", ", activity.TagObjects.Select(t => $"{t.Key}={t.Value}"))}");
        }

        var ticks = activity.Duration.Ticks;
        var failed = activity.Status == ActivityStatusCode.Error;
        if (activity.Source.Name == "Npgsql")
        {
            var consumer = ConsumerOf(activity);
            var sql = Sql(activity);
            _queries.GetOrAdd((consumer?.Name ?? "(outside consumers)", sql), _ => new Stat()).Add(ticks, failed);
            consumer?.Holder.AddDatabase(ticks);
            return;
        }

        if (activity.Kind == ActivityKind.Consumer && IsConsume(activity))
        {
            var holder = activity.GetCustomProperty(Holder.Key) as Holder;
            var stat = _consumers.GetOrAdd(Label(activity), _ => new Stat());
            stat.Add(ticks, failed);
            if (holder is not null)
            {
                stat.AddParts(holder.Database, holder.Outgoing, holder.Queries);
            }

            return;
        }

        if (activity.Kind == ActivityKind.Producer && ConsumerOf(activity) is { } owner)
        {
            _outgoing.GetOrAdd((owner.Name, activity.OperationName), _ => new Stat()).Add(ticks, failed);
            owner.Holder.AddOutgoing(ticks);
        }
    }

    /// <summary>The consume activity this one runs under, with its accumulator (made on first use).</summary>
    private static (string Name, Holder Holder)? ConsumerOf(Activity activity)
    {
        for (var parent = activity.Parent; parent is not null; parent = parent.Parent)
        {
            if (parent.Source.Name == "MassTransit" && parent.Kind == ActivityKind.Consumer && IsConsume(parent))
            {
                if (parent.GetCustomProperty(Holder.Key) is not Holder holder)
                {
                    lock (parent)
                    {
                        holder = parent.GetCustomProperty(Holder.Key) as Holder ?? new Holder();
                        parent.SetCustomProperty(Holder.Key, holder);
                    }
                }

                return (Label(parent), holder);
            }
        }

        return null;
    }

    private static bool IsConsume(Activity activity) => activity.GetTagItem("messaging.masstransit.consumer_type") is not null;

    private static string Label(Activity activity)
    {
        var consumer = activity.GetTagItem("messaging.masstransit.consumer_type") as string ?? activity.OperationName;
        consumer = consumer == "Handler" ? "(bench) handler" : consumer;
        var message = activity.GetTagItem("messaging.masstransit.message_types") as string ?? string.Empty;
        return $"{Short(consumer)} ← {Short(message.Split(',')[0])}";
    }

    private static string Short(string type)
    {
        var name = type.Split(':', '.', '+', '<', '>').LastOrDefault(p => p.Length > 0) ?? type;
        return name.Replace("urn", string.Empty, StringComparison.Ordinal);
    }

    private static string Sql(Activity activity)
    {
        var text = activity.GetTagItem("db.query.text") as string ?? activity.GetTagItem("db.statement") as string ?? activity.DisplayName;
        var single = string.Join(' ', text.Split((char[])['\n', '\r', ' ', '\t'], StringSplitOptions.RemoveEmptyEntries));
        return single.Length <= 110 ? single : single[..107] + "...";
    }

    /// <summary>Count, time and failures of one kind of span; for consumers also what their store and broker calls took.</summary>
    internal sealed class Stat
    {
        private long _count;
        private long _ticks;
        private long _maxTicks;
        private long _failed;
        private long _databaseTicks;
        private long _outgoingTicks;
        private long _queries;

        public long Count => Interlocked.Read(ref _count);

        public TimeSpan Total => TimeSpan.FromTicks(Interlocked.Read(ref _ticks));

        public TimeSpan Max => TimeSpan.FromTicks(Interlocked.Read(ref _maxTicks));

        public long Failed => Interlocked.Read(ref _failed);

        public TimeSpan Database => TimeSpan.FromTicks(Interlocked.Read(ref _databaseTicks));

        public TimeSpan OutgoingTime => TimeSpan.FromTicks(Interlocked.Read(ref _outgoingTicks));

        public long QueryCount => Interlocked.Read(ref _queries);

        public void Add(long ticks, bool failed)
        {
            Interlocked.Increment(ref _count);
            Interlocked.Add(ref _ticks, ticks);
            if (failed)
            {
                Interlocked.Increment(ref _failed);
            }

            long max;
            while (ticks > (max = Interlocked.Read(ref _maxTicks)) && Interlocked.CompareExchange(ref _maxTicks, ticks, max) != max)
            {
            }
        }

        public void AddParts(long databaseTicks, long outgoingTicks, long queries)
        {
            Interlocked.Add(ref _databaseTicks, databaseTicks);
            Interlocked.Add(ref _outgoingTicks, outgoingTicks);
            Interlocked.Add(ref _queries, queries);
        }
    }

    /// <summary>What the spans under one consume took, summed as they stop.</summary>
    private sealed class Holder
    {
        public const string Key = "bench.profile";

        private long _database;
        private long _outgoing;
        private long _queries;

        public long Database => Interlocked.Read(ref _database);

        public long Outgoing => Interlocked.Read(ref _outgoing);

        public long Queries => Interlocked.Read(ref _queries);

        public void AddDatabase(long ticks)
        {
            Interlocked.Add(ref _database, ticks);
            Interlocked.Increment(ref _queries);
        }

        public void AddOutgoing(long ticks) => Interlocked.Add(ref _outgoing, ticks);
    }
}
