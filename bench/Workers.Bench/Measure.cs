using System.Diagnostics;
using System.Globalization;

namespace Workers.Bench;

/// <summary>Repeats a measurement and reports the median with its spread (min–max).</summary>
internal static class Measure
{
    public static (double Median, double Min, double Max) Repeat(int runs, Func<double> once)
    {
        var values = Enumerable.Range(0, runs).Select(_ => once()).Order().ToList();
        return (values[values.Count / 2], values[0], values[^1]);
    }

    public static double Seconds(Action action)
    {
        var clock = Stopwatch.StartNew();
        action();
        return clock.Elapsed.TotalSeconds;
    }

    public static string Format(double value) => value.ToString(value >= 100 ? "N0" : "N3", CultureInfo.InvariantCulture);
}
