using Workers.Bench;
using Workers.Bench.Footprint;
using Workers.Bench.Latency;
using Workers.Bench.Throughput;

// The figures of bench/RESULTS.md: planner scale (C1M shape), validation, `workers status` against `docker ps`, `workers deploy`+`delete` against `docker run`+`rm`, the dashboard's reads at 1,000 hosts and 10,000 replicas, intake latency, deploy latency against the
// Docker floor and Swarm, control-plane throughput on RabbitMQ + PostgreSQL, and the agent footprint.
// Usage: dotnet run -c Release --project bench/Workers.Bench -- [planner|validate|cli|deploy|dashboard|intake|latency|throughput|footprint|all] [--runs N]
// [--trace] [--sides a,b] (latency), throughput's own options (docs/benchmarks.md); anything else is refused (exit 2).
BenchArguments parsed;
try
{
    parsed = BenchArguments.Parse(args);
}
catch (UsageException e)
{
    Console.Error.WriteLine($"bench: {e.Message}");
    return 2;
}

var (what, runs) = (parsed.Figure, parsed.Runs);
var report = new List<string>();
if (what is "planner" or "all")
{
    report.AddRange(PlannerBench.Run(runs));
}

if (what is "validate" or "all")
{
    report.AddRange(ValidateBench.Run(runs));
}

if (what is "cli" or "all")
{
    report.AddRange(await CliReadBench.RunAsync(runs));
}

if (what is "deploy" or "all")
{
    report.AddRange(CliDeployBench.Run(runs));
}

if (what is "dashboard" or "all")
{
    report.AddRange(await DashboardBench.RunAsync(runs));
}

if (what is "intake" or "all")
{
    report.AddRange(await Workers.Bench.Intake.IntakeBench.RunAsync(runs));
}

if (what is "throughput")
{
    report.AddRange(await ThroughputBench.RunAsync(parsed.Throughput!));
}

if (what is "latency" or "all")
{
    // A tail needs rounds: within `all` (scripts/bench.sh) the latency figure takes at least MinRounds whatever --runs says.
    report.AddRange(await LatencyBench.RunAsync(what == "all" ? Math.Max(runs, LatencyBench.MinRounds) : runs, args));
}

if (what is "footprint")
{
    report.AddRange(await FootprintBench.RunAsync(runs));
}

foreach (var line in report)
{
    Console.WriteLine(line);
}

return 0;
