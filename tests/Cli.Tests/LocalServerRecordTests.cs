using System.Collections;

namespace Workers.Cli.Tests;

[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class LocalServerRecordTests
{
    private static readonly Hashtable Base = new()
    {
        ["WORKERS_STORE"] = "/srv/workers.db",
        ["WORKERS_HOST_LABELS"] = "zone=a",
        ["DOCKER_HOST"] = "unix:///var/run/docker.sock",
        ["PATH"] = "/usr/bin",
    };

    [Theory]
    [InlineData("WORKERS_LOG_LEVEL", "debug")]
    [InlineData("WORKERS_AUTO_SERVE", "on")]
    [InlineData("WORKERS_TOKEN", "t")]
    [InlineData("WORKERS_TEST_WORKLOAD_IMAGE", "workers-test/httpd:2")]
    [InlineData("DOCKER_API_VERSION", "1.40")]
    [InlineData("HOME", "/home/someone-else")]
    public void SettingsDigest_IgnoresWhatDoesNotShapeThePipeline(string name, string value) =>
        Assert.Equal(LocalServerRecord.SettingsDigest(Base), LocalServerRecord.SettingsDigest(With(name, value)));

    [Theory]
    [InlineData("WORKERS_STORE", "/srv/other.db")]
    [InlineData("WORKERS_HOST_LABELS", "zone=b")]
    [InlineData("WORKERS_SECRETS_KEY", "a-key")]
    [InlineData("DOCKER_HOST", "tcp://10.0.0.5:2375")]
    public void SettingsDigest_ChangesWithWhatShapesThePipeline(string name, string value) =>
        Assert.NotEqual(LocalServerRecord.SettingsDigest(Base), LocalServerRecord.SettingsDigest(With(name, value)));

    [Theory]
    [InlineData("rabbitmq://workers:secret@rabbit:5672/")]
    [InlineData("servicebus://workers.servicebus.windows.net/")]
    public void Serve_WithABrokerNamed_IsRefusedNotRunOnTheInMemoryBus(string broker)
    {
        var refused = Assert.Throws<CliFailure>(() => Commands.ServeCommand.RefuseANamedBroker(name => name == "WORKERS_BROKER" ? broker : null));

        Assert.Equal((ExitCodes.Usage, "usage"), (refused.ExitCode, refused.Code));
        Assert.StartsWith("workers serve runs the embedded default (the in-memory bus), and WORKERS_BROKER names a broker", refused.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("secret", refused.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("memory")]
    public void Serve_WithoutABrokerOrWithTheInMemoryOne_IsNotRefused(string? broker) =>
        Commands.ServeCommand.RefuseANamedBroker(name => name == "WORKERS_BROKER" ? broker : null);

    [Fact]
    public void Record_ReadsBackWhatWasWritten_OwnerOnly_AndAnUnreadableOneIsNone()
    {
        var directory = Directory.CreateTempSubdirectory("workers-record-").FullName;
        try
        {
            var path = Path.Combine(directory, "serve.record");
            Assert.Null(LocalServerRecord.Read(path));
            var record = new LocalServerRecord(4242, "1.2.3+abc+0123abcd", LocalServerRecord.SettingsDigest(Base), Background: true);
            record.Write(path);
            Assert.Equal(record, LocalServerRecord.Read(path));
            Assert.Single(Directory.GetFiles(directory));
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));

            File.WriteAllText(path, "pid=not-a-number\nbuild=x\nsettings=y\nbackground=true\n");
            Assert.Null(LocalServerRecord.Read(path));
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    private static Hashtable With(string name, string value) => new(Base) { [name] = value };
}
