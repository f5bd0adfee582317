// The suites each run a broker, functions and agents with real containers on a 2-core machine: one at a time, so that
// none slows another into its deadlines.
[assembly: Xunit.CollectionBehavior(DisableTestParallelization = true)]
