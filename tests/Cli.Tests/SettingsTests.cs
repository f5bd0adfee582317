namespace Workers.Cli.Tests;

/// <summary>The CLI's settings, read before anything starts: every problem in one line, each named, no secret shown.</summary>
public sealed class SettingsTests : IDisposable
{
    private const string Secret = "c2VjcmV0LXRoYXQtbXVzdC1ub3Qtc2hvdw";

    private readonly string _directory = Directory.CreateTempSubdirectory("workers-cli-settings-").FullName;

    [Fact]
    public async Task Delete_BrokerSettingThatDoesNotParse_NamesItWithoutItsPassword()
    {
        var (exit, output, error) = await CliProcess.RunAsync(Environment(("WORKERS_BROKER", $"rabbitmq://ci:{Secret}@rabbit:5672/workers?tls=yes")), "delete", "web");

        Assert.Equal(2, exit);
        Assert.Empty(output);
        Assert.Single(error.Trim().Split('\n'));
        Assert.StartsWith("workers: WORKERS_BROKER: 'rabbitmq://ci:***@rabbit:5672/workers?tls=yes': unknown broker option 'tls'", error, StringComparison.Ordinal);
        Assert.DoesNotContain(Secret, error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Delete_SeveralBadEmbeddedSettings_ListsEveryOneInOneLineWithoutTheKey()
    {
        var (exit, output, error) = await CliProcess.RunAsync(
            Environment(
                ("WORKERS_SIGNING_KEY", $"-----BEGIN PRIVATE KEY-----\n{Secret}\n-----END PRIVATE KEY-----"),
                ("WORKERS_HOST_ID", "Not A Host"),
                ("WORKERS_HEARTBEAT_INTERVAL", "often")),
            "delete",
            "web");

        Assert.Equal(2, exit);
        Assert.Empty(output);
        Assert.Single(error.Trim().Split('\n'));
        Assert.StartsWith("workers: 3 settings refused: WORKERS_SIGNING_KEY: ", error, StringComparison.Ordinal);
        Assert.Contains("; WORKERS_HOST_ID 'Not A Host': ", error, StringComparison.Ordinal);
        Assert.Contains("; WORKERS_HEARTBEAT_INTERVAL 'often': ", error, StringComparison.Ordinal);
        Assert.DoesNotContain(Secret, error, StringComparison.Ordinal);
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private Dictionary<string, string> Environment(params (string Name, string Value)[] settings)
    {
        var environment = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["WORKERS_STORE"] = Path.Combine(_directory, "workers.db"),
            ["HOME"] = _directory,
            ["XDG_DATA_HOME"] = _directory,
            ["DOCKER_HOST"] = "unix:///nonexistent",
        };
        foreach (var (name, value) in settings)
        {
            environment[name] = value;
        }

        return environment;
    }
}
