using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Running;

// In-process micro-benchmarks (BenchmarkDotNet). Reports go to BenchmarkDotNet.Artifacts/results (or --artifacts DIR),
// one *-report-github.md per class, with the median and the min–max beside the mean. Usage:
//   dotnet run -c Release --project bench/Workers.Micro -- --filter '*' [--job short] [--artifacts DIR]
var config = DefaultConfig.Instance.AddColumn(StatisticColumn.Median, StatisticColumn.Min, StatisticColumn.Max);
BenchmarkSwitcher.FromAssembly(typeof(Workers.Micro.SpecParsing).Assembly).Run(args, config);
