using Workers.Contracts.Messages;
using Workers.Functions.Handlers;
using Workers.Functions.Store;

namespace Workers.Functions.Tests.Handlers;

public sealed class HostLivenessTests
{
    private static readonly DateTimeOffset Now = new(2026, 1, 1, 12, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    [Fact]
    public void IsAlive_HostSilentPastTheTimeoutWhileOthersBeat_IsNotAlive()
    {
        var silent = Host("a", taken: Now.AddSeconds(-40), received: Now.AddSeconds(-40));
        var liveness = HostLiveness.Of([silent, Host("b", Now.AddSeconds(-1), Now.AddSeconds(-1))], Now, Timeout);

        Assert.False(liveness.IsAlive(silent));
    }

    [Fact]
    public void IsAlive_InventoryBehind_HostWithinTheTimeoutOfTheNewestProcessedBeatIsAlive()
    {
        // Processed 40 s ago, but the newest beat processed from anyone was taken only 10 s after it.
        var behind = Host("a", taken: Now.AddSeconds(-45), received: Now.AddSeconds(-40));
        var liveness = HostLiveness.Of([behind, Host("b", taken: Now.AddSeconds(-35), received: Now)], Now, Timeout);

        Assert.True(liveness.IsAlive(behind));
    }

    [Fact]
    public void IsAlive_OnlyHostSilent_IsNotAliveForWantOfAnyoneToCompareWith()
    {
        var only = Host("a", taken: Now.AddSeconds(-40), received: Now.AddSeconds(-40));
        var liveness = HostLiveness.Of([only], Now, Timeout);

        Assert.False(liveness.Heard);
        Assert.False(liveness.IsAlive(only));
    }

    [Fact]
    public void IsAlive_AHostClockRunsAhead_CannotVouchForASilentHost()
    {
        // b's clock is an hour ahead: its beat counts as taken when it was processed, not an hour from now.
        var silent = Host("a", taken: Now.AddSeconds(-40), received: Now.AddSeconds(-40));
        var liveness = HostLiveness.Of([silent, Host("b", taken: Now.AddHours(1), received: Now)], Now, Timeout);

        Assert.False(liveness.IsAlive(silent));
    }

    [Fact]
    public void IsAlive_HostClockRunsBehindButItsBeatsArrive_IsAlive()
    {
        var late = Host("a", taken: Now.AddHours(-1), received: Now.AddSeconds(-2));
        var liveness = HostLiveness.Of([late, Host("b", Now, Now)], Now, Timeout);

        Assert.True(liveness.IsAlive(late));
    }

    private static HostRecord Host(string id, DateTimeOffset taken, DateTimeOffset received) =>
        new(new HostHeartbeat(Guid.NewGuid(), Guid.NewGuid(), taken, id, new Dictionary<string, string>(), "127.0.0.1", 1000, 1L << 30, 1000, 1L << 30, [], []), received);
}
