using System.Globalization;
using System.Text.RegularExpressions;

namespace Workers.Integration.Tests;

/// <summary>One sample: its name, labels and value.</summary>
internal sealed record PrometheusSample(string Name, IReadOnlyDictionary<string, string> Labels, double Value);

/// <summary>
/// A strict reader of the Prometheus text exposition format (0.0.4): every line is a HELP, a TYPE, a comment, a sample
/// or empty; names and label names are valid; label values are quoted with only \\, \" and \n escaped; each family has
/// one TYPE, before its samples, and its samples are together; no series appears twice; a histogram's buckets carry
/// <c>le</c>, are cumulative and end with <c>+Inf</c>, which equals its <c>_count</c>. Anything else throws.
/// </summary>
internal static partial class PrometheusText
{
    public static IReadOnlyList<PrometheusSample> Parse(string text)
    {
        var types = new Dictionary<string, string>(StringComparer.Ordinal);
        var finished = new HashSet<string>(StringComparer.Ordinal);
        var series = new HashSet<string>(StringComparer.Ordinal);
        var samples = new List<PrometheusSample>();
        string? current = null;
        var number = 0;
        foreach (var line in text.Split('\n'))
        {
            number++;
            if (line.Length == 0)
            {
                continue;
            }

            if (line.StartsWith('#'))
            {
                var comment = CommentLine().Match(line);
                if (comment.Success && comment.Groups["kind"].Value == "TYPE")
                {
                    var family = comment.Groups["name"].Value;
                    var type = comment.Groups["rest"].Value;
                    Check(type is "counter" or "gauge" or "histogram" or "summary" or "untyped", number, $"unknown type '{type}'");
                    Check(types.TryAdd(family, type), number, $"a second TYPE for {family}");
                    Check(!samples.Any(s => FamilyOf(s.Name, types) == family), number, $"TYPE of {family} after its samples");
                }

                continue;
            }

            var match = SampleLine().Match(line);
            Check(match.Success, number, $"not a sample: '{line}'");
            var name = match.Groups["name"].Value;
            var labels = Labels(match.Groups["labels"].Value, number);
            var value = Value(match.Groups["value"].Value, number);
            var familyName = FamilyOf(name, types);
            if (familyName != current)
            {
                Check(current is null || finished.Add(current), number, $"{current} twice");
                Check(!finished.Contains(familyName), number, $"the samples of {familyName} are not together");
                current = familyName;
            }

            var key = name + "{" + string.Join(",", labels.OrderBy(l => l.Key, StringComparer.Ordinal).Select(l => $"{l.Key}={l.Value}")) + "}";
            Check(series.Add(key), number, $"series {key} twice");
            samples.Add(new PrometheusSample(name, labels, value));
        }

        foreach (var (family, type) in types.Where(t => t.Value == "histogram"))
        {
            CheckHistogram(family, samples);
        }

        return samples;
    }

    private static void CheckHistogram(string family, List<PrometheusSample> samples)
    {
        var buckets = samples.Where(s => s.Name == family + "_bucket").ToList();
        foreach (var group in buckets.GroupBy(b => string.Join(",", b.Labels.Where(l => l.Key != "le").OrderBy(l => l.Key, StringComparer.Ordinal).Select(l => $"{l.Key}={l.Value}")), StringComparer.Ordinal))
        {
            var ordered = group.Select(b => (Le: Value(b.Labels.TryGetValue("le", out var le) ? le : throw new FormatException($"{family} bucket without le"), 0), b.Value)).ToList();
            Assert.True(ordered.Zip(ordered.Skip(1)).All(p => p.First.Le < p.Second.Le && p.First.Value <= p.Second.Value), $"{family}{{{group.Key}}}: buckets not cumulative");
            Assert.True(double.IsPositiveInfinity(ordered[^1].Le), $"{family}{{{group.Key}}}: no +Inf bucket");
            var count = samples.Single(s => s.Name == family + "_count" && string.Join(",", s.Labels.OrderBy(l => l.Key, StringComparer.Ordinal).Select(l => $"{l.Key}={l.Value}")) == group.Key);
            Assert.Equal(count.Value, ordered[^1].Value);
        }
    }

    private static string FamilyOf(string sample, Dictionary<string, string> types)
    {
        foreach (var suffix in new[] { "_bucket", "_sum", "_count" })
        {
            if (sample.EndsWith(suffix, StringComparison.Ordinal) && types.GetValueOrDefault(sample[..^suffix.Length]) is "histogram" or "summary")
            {
                return sample[..^suffix.Length];
            }
        }

        return sample;
    }

    private static Dictionary<string, string> Labels(string text, int line)
    {
        var labels = new Dictionary<string, string>(StringComparer.Ordinal);
        var position = 0;
        while (position < text.Length)
        {
            var label = LabelPair().Match(text, position);
            Check(label.Success && label.Index == position, line, $"bad label list '{text}'");
            var value = label.Groups["value"].Value.Replace("\\n", "\n", StringComparison.Ordinal).Replace("\\\"", "\"", StringComparison.Ordinal).Replace("\\\\", "\\", StringComparison.Ordinal);
            Check(labels.TryAdd(label.Groups["name"].Value, value), line, $"label {label.Groups["name"].Value} twice");
            position += label.Length;
        }

        return labels;
    }

    private static double Value(string text, int line) => text switch
    {
        "+Inf" => double.PositiveInfinity,
        "-Inf" => double.NegativeInfinity,
        "NaN" => double.NaN,
        _ => double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) ? value : throw new FormatException($"line {line}: '{text}' is not a value"),
    };

    private static void Check(bool condition, int line, string problem)
    {
        if (!condition)
        {
            throw new FormatException($"line {line}: {problem}");
        }
    }

    [GeneratedRegex(@"^# (?<kind>HELP|TYPE) (?<name>[a-zA-Z_:][a-zA-Z0-9_:]*) (?<rest>.*)$|^#")]
    private static partial Regex CommentLine();

    [GeneratedRegex(@"^(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?<labels>[^}]*)\})? (?<value>\S+)( -?\d+)?$")]
    private static partial Regex SampleLine();

    [GeneratedRegex(@"(?<name>[a-zA-Z_][a-zA-Z0-9_]*)=""(?<value>(?:[^""\\\n]|\\[\\""n])*)"",?")]
    private static partial Regex LabelPair();
}
