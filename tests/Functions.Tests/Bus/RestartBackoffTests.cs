using Workers.Transport;

namespace Workers.Functions.Tests.Bus;

/// <summary>How often refused publishes may restart the bus: at once, then 30 s, doubling to 5 min, reset by quiet.</summary>
public sealed class RestartBackoffTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 27, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Allows_TheFirstRestart_AtOnce()
    {
        Assert.True(new RestartBackoff().Allows(T0));
    }

    [Fact]
    public void Allows_RestartsThatKeepComing_After30sThen60sAndNeverMoreThan5MinApart()
    {
        var backoff = new RestartBackoff();
        var at = T0;
        var waits = new List<TimeSpan>();
        backoff.Restarted(at);
        for (var i = 0; i < 6; i++)
        {
            var next = at + TimeSpan.FromSeconds(1);
            while (!backoff.Allows(next))
            {
                next += TimeSpan.FromSeconds(1);
            }

            waits.Add(next - at);
            backoff.Restarted(next);
            at = next;
        }

        Assert.Equal([30, 60, 120, 240, 300, 300], waits.Select(w => (int)w.TotalSeconds));
    }

    [Fact]
    public void Quiet_ForLongerThanTheMaximum_LetsTheNextRestartComeAtOnce()
    {
        var backoff = new RestartBackoff();
        backoff.Restarted(T0);
        backoff.Restarted(T0.AddSeconds(30));

        backoff.Quiet(T0.AddSeconds(31));
        Assert.False(backoff.Allows(T0.AddSeconds(32)));

        backoff.Quiet(T0.AddSeconds(30) + RestartBackoff.Maximum + TimeSpan.FromSeconds(1));
        Assert.True(backoff.Allows(T0.AddSeconds(30) + RestartBackoff.Maximum + TimeSpan.FromSeconds(2)));
    }
}
