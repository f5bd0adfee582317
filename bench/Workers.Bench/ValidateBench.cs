using System.Text;
using Workers.Contracts.Spec;

namespace Workers.Bench;

/// <summary>Specs validated per second: a typical spec (examples/web.yaml) and the largest accepted one (just under 1 MiB).</summary>
internal static class ValidateBench
{
    public static IEnumerable<string> Run(int runs)
    {
        var typical = File.ReadAllBytes(Path.Combine(Root.Path, "examples", "web.yaml"));
        var largest = Largest();
        yield return "## Validation";
        yield return "| spec | bytes | specs/s (median, min–max) |";
        yield return "|---|---:|---:|";
        foreach (var (name, bytes, iterations) in new[] { ("typical (examples/web.yaml)", typical, 20_000), ("largest accepted (env of ~1 MiB)", largest, 20) })
        {
            if (!SpecParser.Parse(bytes, name).IsValid)
            {
                throw new InvalidOperationException($"{name} is not valid");
            }

            var (median, min, max) = Measure.Repeat(runs, () => iterations / Measure.Seconds(() =>
            {
                for (var i = 0; i < iterations; i++)
                {
                    SpecParser.Parse(bytes, name);
                }
            }));
            yield return $"| {name} | {bytes.Length:N0} | {Measure.Format(median)} ({Measure.Format(min)}–{Measure.Format(max)}) |";
        }
    }

    private static byte[] Largest()
    {
        var text = new StringBuilder("name: big\nimage: registry.example.com/team/big:1\nenv:\n");
        for (var i = 0; text.Length < SpecParser.MaxBytes - 64; i++)
        {
            text.Append("  VAR_").Append(i).Append(": \"").Append('x', 40).Append("\"\n");
        }

        return Encoding.UTF8.GetBytes(text.ToString());
    }
}
