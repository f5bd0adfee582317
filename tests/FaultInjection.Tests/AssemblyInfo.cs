// The scenario, the partition test and the audit tests each run brokers, stores and processes on a 2-core machine:
// one at a time, so that none slows another into its deadlines (the partition test's stop bound was missed by 0.3 s
// once while the scenario ran beside it).
[assembly: Xunit.CollectionBehavior(DisableTestParallelization = true)]
