using Workers.Cli.Contexts;

namespace Workers.Cli.Tests;

public sealed class RemoteSessionTests
{
    private static readonly Uri Address = new("http://127.0.0.1:8080");

    [Fact]
    public void TheServerWorkersServeRuns_IsAskedAsOftenAsTheEmbeddedPipeline()
    {
        var session = RemoteSession.For(new Target.Server(Address, "token", FallBackToEmbedded: true));

        Assert.Equal(WorkersClientPolling.EmbeddedInterval, session.Interval);
        Assert.False(session.Embedded);
        Assert.Null(session.Store);
    }

    [Fact]
    public void AnyOtherServer_IsAskedAtTheSharedRemoteInterval_EvenOnLoopback()
    {
        var session = RemoteSession.For(new Target.Server(Address, "token", FallBackToEmbedded: false));

        Assert.Equal(WorkersClientPolling.RemoteInterval, session.Interval);
        Assert.True(WorkersClientPolling.RemoteInterval > WorkersClientPolling.EmbeddedInterval);
    }
}
