using Workers.Bench;
using Workers.Bench.Latency;

// In-process figures: planner scale (the shape of HashiCorp's C1M) and spec validation throughput.
// Usage: dotnet run -c Release --project bench/Workers.Bench -- [planner|validate|latency|all] [--runs N] [--trace]
var what = args.FirstOrDefault(a => !a.StartsWith("--", StringComparison.Ordinal)) ?? "all";
var runs = args.SkipWhile(a => a != "--runs").Skip(1).Select(int.Parse).FirstOrDefault(5);
var report = new List<string>();
if (what is "planner" or "all")
{
    report.AddRange(PlannerBench.Run(runs));
}

if (what is "validate" or "all")
{
    report.AddRange(ValidateBench.Run(runs));
}

if (what is "latency" or "all")
{
    report.AddRange(await LatencyBench.RunAsync(runs, args));
}

foreach (var line in report)
{
    Console.WriteLine(line);
}
