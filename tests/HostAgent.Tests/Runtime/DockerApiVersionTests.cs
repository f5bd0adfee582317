using Workers.HostAgent.Runtime;

namespace Workers.HostAgent.Tests.Runtime;

public sealed class DockerApiVersionTests
{
    [Theory]
    [InlineData("1.41", 1, 41)]
    [InlineData("1.44", 1, 44)]
    [InlineData("1.52", 1, 52)]
    [InlineData(" 2.0 ", 2, 0)]
    public void Negotiate_SupportedServer_PinsTheServerVersion(string server, int major, int minor)
    {
        Assert.Equal(new Version(major, minor), DockerApiVersion.Negotiate(server));
    }

    [Theory]
    [InlineData("1.40")]
    [InlineData("1.12")]
    [InlineData("")]
    [InlineData(null)]
    [InlineData("one.forty")]
    [InlineData("1.41.0")]
    public void Negotiate_OldOrUnreadable_IsRefused(string? server)
    {
        Assert.Throws<DockerEngineUnsupportedException>(() => DockerApiVersion.Negotiate(server));
    }
}
