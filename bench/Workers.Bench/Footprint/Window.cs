using System.Diagnostics;

namespace Workers.Bench.Footprint;

/// <summary>What a process used over a window: peak and median resident memory of 1 s samples, and CPU.</summary>
internal sealed record Window(double Seconds, double PeakRssMb, double MedianRssMb, double AnonRssMb, double FileRssMb, int Threads, double CpuPercent)
{
    private const double BytesPerMb = 1_000_000;

    /// <summary>Samples <paramref name="pid"/> every second for <paramref name="length"/>.</summary>
    public static async Task<Window> SampleAsync(int pid, TimeSpan length, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        var first = ProcReading.Read(pid, clock.Elapsed);
        var readings = new List<ProcReading> { first };
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1));
        while (clock.Elapsed < length && await timer.WaitForNextTickAsync(cancellationToken))
        {
            readings.Add(ProcReading.Read(pid, clock.Elapsed));
        }

        var last = readings[^1];
        var seconds = (last.At - first.At).TotalSeconds;
        var peak = readings.MaxBy(r => r.RssKiB);
        var sorted = readings.Select(r => r.RssKiB).Order().ToList();
        return new Window(
            seconds,
            Mb(peak.RssKiB),
            Mb(sorted[sorted.Count / 2]),
            Mb(peak.RssAnonKiB),
            Mb(peak.RssFileKiB),
            readings.Max(r => r.Threads),
            (last.CpuTicks - first.CpuTicks) / ProcReading.TicksPerSecond / seconds * 100);
    }

    private static double Mb(long kib) => kib * 1024.0 / BytesPerMb;
}
