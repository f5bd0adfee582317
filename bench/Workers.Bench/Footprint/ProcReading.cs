using System.Globalization;

namespace Workers.Bench.Footprint;

/// <summary>
/// One reading of a process from <c>/proc</c>: resident memory (VmRSS, and its anonymous and file-backed parts, in KiB
/// as the kernel prints them), threads, and CPU time used so far (utime + stime, in clock ticks).
/// </summary>
internal readonly record struct ProcReading(TimeSpan At, long RssKiB, long RssAnonKiB, long RssFileKiB, int Threads, long CpuTicks)
{
    /// <summary>USER_HZ: <c>/proc/&lt;pid&gt;/stat</c> counts CPU time in 1/100 s on every architecture .NET runs on.</summary>
    public const double TicksPerSecond = 100;

    public static ProcReading Read(int pid, TimeSpan at)
    {
        long rss = 0, anon = 0, file = 0;
        var threads = 0;
        foreach (var line in File.ReadLines($"/proc/{pid}/status"))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
            {
                rss = Kib(line);
            }
            else if (line.StartsWith("RssAnon:", StringComparison.Ordinal))
            {
                anon = Kib(line);
            }
            else if (line.StartsWith("RssFile:", StringComparison.Ordinal))
            {
                file = Kib(line);
            }
            else if (line.StartsWith("Threads:", StringComparison.Ordinal))
            {
                threads = (int)Kib(line);
            }
        }

        // The command name (field 2) may hold spaces and parentheses: count fields from the last ')'. Field 3 (state)
        // comes first after it, so utime (14) and stime (15) are the 12th and 13th.
        var stat = File.ReadAllText($"/proc/{pid}/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        var ticks = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
        return new ProcReading(at, rss, anon, file, threads, ticks);
    }

    private static long Kib(string line) =>
        long.Parse(line.AsSpan(line.IndexOf(':', StringComparison.Ordinal) + 1).Trim().ToString().Split(' ')[0], CultureInfo.InvariantCulture);
}
