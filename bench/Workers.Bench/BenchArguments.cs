using System.Globalization;
using Workers.Bench.Throughput;

namespace Workers.Bench;

/// <summary>
/// The bench's command line: one figure (or <c>all</c>) and its options. A figure or an option it does not know is
/// refused before anything runs: a misspelt one would otherwise measure something other than what was asked for, or
/// nothing, silently. <c>throughput</c>'s own options are read by <see cref="ThroughputOptions.Parse"/>, called
/// from here.
/// </summary>
/// <param name="Figure">The figure to measure, or <c>all</c>.</param>
/// <param name="Runs">Runs per figure (<c>--runs</c>, 5 unless given).</param>
/// <param name="Throughput">The throughput figure's own options, read once here; null for the other figures.</param>
internal sealed record BenchArguments(string Figure, int Runs, ThroughputOptions? Throughput = null)
{
    public static readonly string[] Figures = ["all", "planner", "validate", "cli", "deploy", "dashboard", "intake", "latency", "throughput", "footprint"];

    /// <summary>The options: whether each takes a value, and the figures (besides <c>throughput</c>) it applies to.</summary>
    private static readonly Dictionary<string, (bool Valued, string[] Figures)> Options = new(StringComparer.Ordinal)
    {
        ["--runs"] = (true, Figures),
        ["--trace"] = (false, ["latency", "all"]),
        ["--sides"] = (true, ["latency", "all"]),
    };

    /// <exception cref="UsageException">The figure, an option or a value is not one the bench knows.</exception>
    public static BenchArguments Parse(IReadOnlyList<string> args)
    {
        ArgumentNullException.ThrowIfNull(args);
        var named = args.Count > 0 && !args[0].StartsWith("--", StringComparison.Ordinal);
        var figure = named ? args[0] : "all";
        if (!Figures.Contains(figure, StringComparer.Ordinal))
        {
            throw new UsageException($"unknown figure '{figure}'; the figures are {string.Join(", ", Figures)}");
        }

        var runs = 5;
        for (var i = named ? 1 : 0; i < args.Count; i++)
        {
            var token = args[i];
            if (figure == "throughput" && token != "--runs")
            {
                continue;
            }

            if (!Options.TryGetValue(token, out var option) || !option.Figures.Contains(figure, StringComparer.Ordinal))
            {
                var known = Options.Where(o => o.Value.Figures.Contains(figure, StringComparer.Ordinal)).Select(o => o.Key);
                throw new UsageException($"{figure}: unknown option '{token}'; the options are {string.Join(", ", known)}");
            }

            if (!option.Valued)
            {
                continue;
            }

            if (++i >= args.Count || args[i].StartsWith("--", StringComparison.Ordinal))
            {
                throw new UsageException($"{token} needs a value");
            }

            if (token == "--runs" && (!int.TryParse(args[i], NumberStyles.None, CultureInfo.InvariantCulture, out runs) || runs < 1))
            {
                throw new UsageException($"--runs takes a whole number of at least 1, not '{args[i]}'");
            }
        }

        if (figure is "latency" or "all" && Latency.LatencyBench.SidesProblem([.. args]) is { } problem)
        {
            throw new UsageException(problem);
        }

        // Throughput's own options are read here, so that a wrong one is refused before anything runs.
        return new BenchArguments(figure, runs, figure == "throughput" ? ThroughputOptions.Parse(args, runs) : null);
    }
}

/// <summary>A command line the bench refuses: its message says what it knows instead.</summary>
internal sealed class UsageException(string message) : Exception(message);
