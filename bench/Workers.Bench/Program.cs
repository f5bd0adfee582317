using Workers.Bench;
using Workers.Bench.Footprint;

// In-process figures: planner scale (the shape of HashiCorp's C1M) and spec validation throughput.
// Usage: dotnet run -c Release --project bench/Workers.Bench -- [planner|validate|all|footprint] [--runs N]
// footprint (the agent's memory and CPU) needs Docker and the test images, so it is not part of all.
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

if (what is "footprint")
{
    report.AddRange(await FootprintBench.RunAsync(runs));
}

foreach (var line in report)
{
    Console.WriteLine(line);
}
