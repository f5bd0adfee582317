using Workers.Transport;

namespace Workers.Functions.Tests.Bus;

public sealed class BrokerCallsTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromMilliseconds(200);

    [Fact]
    public async Task Bounded_CallThatIgnoresItsTokenAndNeverCompletes_ThrowsTimeoutAtTheBound()
    {
        // A confirm lost in a broker restart: the call neither completes nor honours cancellation.
        var never = new TaskCompletionSource();

        var error = await Assert.ThrowsAsync<TimeoutException>(() => BrokerCalls.BoundedAsync(_ => never.Task, Bound, CancellationToken.None));

        Assert.Contains("did not confirm", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Bounded_CallHonoursItsToken_ItsTokenIsCancelledAtTheBound()
    {
        CancellationToken seen = default;

        await Assert.ThrowsAsync<TimeoutException>(() => BrokerCalls.BoundedAsync(
            token =>
            {
                seen = token;
                return Task.Delay(Timeout.InfiniteTimeSpan, token);
            },
            Bound,
            CancellationToken.None));

        Assert.True(seen.IsCancellationRequested);
    }

    [Fact]
    public async Task Bounded_CallerCancels_ThrowsCancellationNotTimeout()
    {
        using var caller = new CancellationTokenSource();
        var never = new TaskCompletionSource();
        var call = BrokerCalls.BoundedAsync(_ => never.Task, TimeSpan.FromMinutes(5), caller.Token);

        await caller.CancelAsync();

        var error = await Assert.ThrowsAnyAsync<OperationCanceledException>(() => call);
        Assert.IsNotType<TimeoutException>(error);
    }

    [Fact]
    public async Task Bounded_CallCompletes_ReturnsAndItsFailurePassesThrough()
    {
        var calls = 0;
        await BrokerCalls.BoundedAsync(_ => Task.FromResult(++calls), Bound, CancellationToken.None);

        await Assert.ThrowsAsync<InvalidOperationException>(() => BrokerCalls.BoundedAsync(_ => Task.FromException(new InvalidOperationException("refused")), Bound, CancellationToken.None));
        Assert.Equal(1, calls);
    }
}
