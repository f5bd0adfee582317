// One pipeline and one browser at a time on a 2-core machine.
[assembly: Xunit.CollectionBehavior(DisableTestParallelization = true)]
