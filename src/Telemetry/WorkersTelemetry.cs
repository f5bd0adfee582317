using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Workers.Telemetry;

/// <summary>
/// Workers' ActivitySource and Meter, both named <see cref="Name"/>. With no listener a span is never created and a
/// measurement is never taken: <see cref="ActivitySource.StartActivity(string, ActivityKind)"/> returns null and
/// <see cref="Instrument.Enabled"/> is false.
/// </summary>
public static class WorkersTelemetry
{
    /// <summary>The ActivitySource's and the Meter's name.</summary>
    public const string Name = "Workers";

    /// <summary>MassTransit's own ActivitySource and Meter: its send, publish and consume spans carry the trace across the broker.</summary>
    public const string MassTransit = "MassTransit";

    /// <summary>Upper bounds, in seconds, from a fast handler to a slow image pull.</summary>
    private static readonly InstrumentAdvice<double> Seconds = new() { HistogramBucketBoundaries = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60] };

    public static ActivitySource Source { get; } = new(Name);

    public static Meter Meter { get; } = new(Name);

    /// <summary><c>workers.handler.duration</c>: how long a function's handler took, by <c>handler</c>.</summary>
    public static Histogram<double> HandlerDuration { get; } = Meter.CreateHistogram("workers.handler.duration", "s", "How long a function's handler took (the store and the handler's logic, not the publishes after it).", null, Seconds);

    /// <summary><c>workers.docker.duration</c>: how long a call to the Docker engine took, by <c>operation</c>.</summary>
    public static Histogram<double> DockerDuration { get; } = Meter.CreateHistogram("workers.docker.duration", "s", "How long an agent's call to the Docker engine took.", null, Seconds);

    /// <summary>A span and a <see cref="HandlerDuration"/> measurement for one function's handler.</summary>
    public static Operation Handler(string handler) => new(Source.StartActivity(handler), HandlerDuration, "handler", handler);

    /// <summary>A span (<c>docker {operation}</c>) and a <see cref="DockerDuration"/> measurement for one Docker call.</summary>
    public static Operation Docker(string operation, string spanName) => new(Source.StartActivity(spanName, ActivityKind.Client), DockerDuration, "operation", operation);
}

/// <summary>
/// One timed operation: its span (when something listens to <see cref="WorkersTelemetry.Source"/>) and its duration
/// (when something listens to its histogram). Disposing ends both; <see cref="Fail"/> marks the span failed.
/// </summary>
public readonly struct Operation : IDisposable, IEquatable<Operation>
{
    private readonly Histogram<double> _histogram;
    private readonly string _tag;
    private readonly string _value;
    private readonly long _started;

    internal Operation(Activity? activity, Histogram<double> histogram, string tag, string value)
    {
        Activity = activity;
        _histogram = histogram;
        _tag = tag;
        _value = value;
        _started = histogram.Enabled ? Stopwatch.GetTimestamp() : 0;
    }

    /// <summary>The span, or null when nothing listens.</summary>
    public Activity? Activity { get; }

    /// <summary>Marks the span failed with the exception's type; always false, for use in <c>catch … when</c> without catching.</summary>
    public bool Fail(Exception exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        Activity?.SetStatus(ActivityStatusCode.Error, exception.GetType().Name).AddException(exception);
        return false;
    }

    public void Dispose()
    {
        if (_started != 0)
        {
            _histogram.Record(Stopwatch.GetElapsedTime(_started).TotalSeconds, new KeyValuePair<string, object?>(_tag, _value));
        }

        Activity?.Dispose();
    }

    public bool Equals(Operation other) => ReferenceEquals(Activity, other.Activity) && _started == other._started;

    public override bool Equals(object? obj) => obj is Operation other && Equals(other);

    public override int GetHashCode() => HashCode.Combine(Activity, _started);

    public static bool operator ==(Operation left, Operation right) => left.Equals(right);

    public static bool operator !=(Operation left, Operation right) => !left.Equals(right);
}
