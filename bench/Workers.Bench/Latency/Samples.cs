using System.Globalization;

namespace Workers.Bench.Latency;

/// <summary>One side's latencies at one replica count, in seconds, with the order statistics the table reports.</summary>
internal sealed class Samples
{
    private readonly List<double> _seconds = [];

    public int Count => _seconds.Count;

    public void Add(TimeSpan elapsed) => _seconds.Add(elapsed.TotalSeconds);

    /// <summary>The upper median, as <see cref="Measure.Repeat"/> reports it.</summary>
    public double Median => Sorted()[_seconds.Count / 2];

    /// <summary>Nearest rank: with fewer than 100 runs this is the slowest run.</summary>
    public double P99 => Sorted()[Math.Max(0, (int)Math.Ceiling(0.99 * _seconds.Count) - 1)];

    public double Min => Sorted()[0];

    public double Max => Sorted()[^1];

    /// <summary>"median / p99 (min–max)" in seconds.</summary>
    public string Cell() => Count == 0
        ? "–"
        : $"{Measure.Format(Median)} / {Measure.Format(P99)} ({Measure.Format(Min)}–{Measure.Format(Max)})";

    /// <summary>"median / p99" of this side over <paramref name="baseline"/>.</summary>
    public string RatioCell(Samples baseline) => Count == 0 || baseline.Count == 0
        ? "–"
        : string.Create(CultureInfo.InvariantCulture, $"{Median / baseline.Median:0.00} / {P99 / baseline.P99:0.00}");

    /// <summary>Milliseconds added over <paramref name="baseline"/> at the median.</summary>
    public string AddedCell(Samples baseline) => Count == 0 || baseline.Count == 0
        ? "–"
        : string.Create(CultureInfo.InvariantCulture, $"{(Median - baseline.Median) * 1000:+0;-0} ms");

    private List<double> Sorted() => [.. _seconds.Order()];
}
