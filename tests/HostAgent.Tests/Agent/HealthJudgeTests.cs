using Microsoft.Extensions.Time.Testing;
using Workers.Contracts.Messages;
using Workers.HostAgent.Agent;

namespace Workers.HostAgent.Tests.Agent;

public sealed class HealthJudgeTests
{
    private static readonly TimeSpan MinReady = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);

    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2025, 1, 1, 0, 0, 0, TimeSpan.Zero));

    [Fact]
    public void Passed_ForLessThanMinReady_StaysStarting()
    {
        var judge = new HealthJudge(3, MinReady, _time);

        var changes = PassFor(judge, MinReady - Interval);

        Assert.Equal(0, changes);
        Assert.Equal(HealthVerdict.Starting, judge.Verdict);
    }

    [Fact]
    public void Passed_ForMinReady_TurnsHealthyOnce()
    {
        var judge = new HealthJudge(3, MinReady, _time);

        var changes = PassFor(judge, MinReady + (3 * Interval));

        Assert.Equal(1, changes);
        Assert.Equal(HealthVerdict.Healthy, judge.Verdict);
    }

    [Fact]
    public void Passed_MinReadyZero_IsHealthyAtTheFirstPass()
    {
        var judge = new HealthJudge(3, TimeSpan.Zero, _time);

        Assert.True(judge.Passed());
        Assert.Equal(ReplicaHealth.Healthy, judge.Verdict.Health);
    }

    [Fact]
    public void Failed_RetriesTimesInARow_TurnsUnhealthyWithTheLastReason()
    {
        var judge = new HealthJudge(3, MinReady, _time);

        Assert.False(judge.Failed("GET /healthz -> 500"));
        Assert.False(judge.Failed("GET /healthz -> 502"));
        Assert.Equal(HealthVerdict.Starting, judge.Verdict);
        Assert.True(judge.Failed("GET /healthz -> 503"));

        Assert.Equal(new HealthVerdict(ReplicaHealth.Unhealthy, "GET /healthz -> 503"), judge.Verdict);
        Assert.False(judge.Failed("GET /healthz: connection refused"));
        Assert.Equal(new HealthVerdict(ReplicaHealth.Unhealthy, "GET /healthz: connection refused"), judge.Verdict);
    }

    [Fact]
    public void Failed_FewerThanRetriesBetweenPasses_StaysHealthy()
    {
        var judge = new HealthJudge(2, TimeSpan.Zero, _time);
        judge.Passed();

        Assert.False(judge.Failed("exit 1: busy"));
        Assert.False(judge.Passed());
        Assert.False(judge.Failed("exit 1: busy"));

        Assert.Equal(HealthVerdict.Healthy, judge.Verdict);
    }

    [Fact]
    public void Failed_WhilePassing_RestartsTheMinReadyClock()
    {
        var judge = new HealthJudge(3, MinReady, _time);
        PassFor(judge, MinReady - Interval);

        judge.Failed("connect 127.0.0.1:20001: connection refused");
        _time.Advance(Interval);
        var changes = PassFor(judge, MinReady - Interval);

        Assert.Equal(0, changes);
        Assert.Equal(HealthVerdict.Starting, judge.Verdict);
        _time.Advance(Interval);
        Assert.True(judge.Passed());
        Assert.Equal(HealthVerdict.Healthy, judge.Verdict);
    }

    [Fact]
    public void Passed_AfterUnhealthy_TurnsHealthyAgainOnlyAfterMinReady()
    {
        var judge = new HealthJudge(1, MinReady, _time);
        PassFor(judge, MinReady);
        judge.Failed("GET /healthz -> 503");
        _time.Advance(Interval);

        Assert.Equal(0, PassFor(judge, MinReady - Interval));
        Assert.Equal(ReplicaHealth.Unhealthy, judge.Verdict.Health);
        _time.Advance(Interval);
        Assert.True(judge.Passed());
        Assert.Equal(HealthVerdict.Healthy, judge.Verdict);
    }

    [Fact]
    public void Passed_NoCheckRunningForMinReady_IsHealthy()
    {
        var started = _time.GetUtcNow();
        var judge = new HealthJudge(1, MinReady, _time, passingSince: started);

        _time.Advance(MinReady - TimeSpan.FromMilliseconds(1));
        Assert.False(judge.Passed());
        Assert.Equal(HealthVerdict.Starting, judge.Verdict);
        _time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.True(judge.Passed());
        Assert.Equal(HealthVerdict.Healthy, judge.Verdict);
    }

    /// <summary>A pass now and at every interval for <paramref name="duration"/>; how many changed the health.</summary>
    private int PassFor(HealthJudge judge, TimeSpan duration)
    {
        var changes = judge.Passed() ? 1 : 0;
        for (var elapsed = Interval; elapsed <= duration; elapsed += Interval)
        {
            _time.Advance(Interval);
            changes += judge.Passed() ? 1 : 0;
        }

        return changes;
    }
}
