using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;

namespace Workers.Bench.Latency;

/// <summary>
/// With <c>--trace</c>: records MassTransit's activities (each send, publish and consume) in this process, so that the
/// embedded pipeline's time can be split into its steps: validate, plan, the agent's start command, track.
/// </summary>
internal sealed class SpanRecorder : IDisposable
{
    private readonly ConcurrentQueue<Activity> _stopped = new();
    private readonly ActivityListener _listener;

    public SpanRecorder()
    {
        _listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == "MassTransit",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllData,
            ActivityStopped = _stopped.Enqueue,
        };
        ActivitySource.AddActivityListener(_listener);
    }

    /// <summary>The consume spans ("process" activities) that began between <paramref name="from"/> and <paramref name="to"/>, in order.</summary>
    public IReadOnlyList<Activity> Between(DateTime from, DateTime to)
    {
        var spans = new List<Activity>();
        while (_stopped.TryDequeue(out var activity))
        {
            spans.Add(activity);
        }

        return [.. spans
            .Where(a => a.StartTimeUtc >= from && a.StartTimeUtc <= to && a.Kind == ActivityKind.Consumer && a.DisplayName.EndsWith(" process", StringComparison.Ordinal))
            .OrderBy(a => a.StartTimeUtc)];
    }

    /// <summary>"name +start (duration)" in ms from <paramref name="from"/>.</summary>
    public static string Describe(Activity span, DateTime from) =>
        string.Create(CultureInfo.InvariantCulture, $"{span.DisplayName.Replace(" process", string.Empty, StringComparison.Ordinal)} +{(span.StartTimeUtc - from).TotalMilliseconds:0} ({span.Duration.TotalMilliseconds:0} ms)");

    public void Dispose() => _listener.Dispose();
}
