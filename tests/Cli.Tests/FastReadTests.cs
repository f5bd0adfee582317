using System.Text.Json;
using Workers.Contracts.Messages;
using Workers.Contracts.Spec;

namespace Workers.Cli.Tests;

/// <summary>
/// The read-only commands on the embedded default answer from the store alone: no broker, no Docker (DOCKER_HOST
/// points nowhere) and no agent, as whole processes against a SQLite file the test fills.
/// </summary>
public sealed class FastReadTests : IDisposable
{
    private static readonly DateTimeOffset At = DateTimeOffset.UtcNow;

    private readonly EmbeddedStore _store = new();

    public void Dispose() => _store.Dispose();

    private Dictionary<string, string> Embedded => _store.Environment;

    /// <summary>A deployment "web" of two running replicas on host-a (bound to 10.0.0.5), whose last heartbeat is ten minutes old.</summary>
    private async Task SeedAsync()
    {
        var store = await _store.OpenAsync();
        var heartbeat = new HostHeartbeat(Guid.NewGuid(), Guid.NewGuid(), At.AddMinutes(-10), "host-a", new Dictionary<string, string> { ["zone"] = "z1" }, "10.0.0.5", 4000, 8L << 30, 3000, 6L << 30, [], []);
        await store.UpsertHostAsync(heartbeat, At.AddMinutes(-10), CancellationToken.None);
        var spec = SpecParser.Parse("name: web\nimage: nginx:1.27\nreplicas: 2\nports: [{container: 80}]\n"u8.ToArray(), "web.yaml").Spec!;
        var id = Guid.NewGuid();
        await store.SavePlanAsync(id, spec, "test", [new ReplicaPlacement(0, "host-a", [new PortBinding(80, 31001, Protocol.Tcp)]), new ReplicaPlacement(1, "host-a", [new PortBinding(80, 31002, Protocol.Tcp)])], [], At.AddMinutes(-11), CancellationToken.None);
        foreach (var (index, port) in new[] { (0, 31001), (1, 31002) })
        {
            await store.UpdateReplicaAsync(id, index, ReplicaState.Running, $"c{index}0000000000000", [new PortBinding(80, port, Protocol.Tcp)], null, At.AddMinutes(-11), CancellationToken.None);
        }
    }

    [Fact]
    public async Task Version_Embedded_GivesTheFunctionsBuildAndEachHostsAgentFromItsLastHeartbeat()
    {
        await SeedAsync();
        var store = await _store.OpenAsync();
        var newer = new HostHeartbeat(Guid.NewGuid(), Guid.NewGuid(), At.AddMinutes(-5), "host-b", new Dictionary<string, string>(), "10.0.0.6", 4000, 8L << 30, 4000, 8L << 30, [], []) { AgentVersion = "7.7.7+test" };
        await store.UpsertHostAsync(newer, At.AddMinutes(-5), CancellationToken.None);

        var (exit, output, error) = await CliProcess.RunAsync(Embedded, "version");

        Assert.True(exit == 0, error);
        Assert.Equal(
            [
                $"cli:       {Commands.VersionCommand.CliVersion}",
                $"functions: {Functions.Handlers.QueryHandler.FunctionsVersion}",
                "agents:",
                $"  host-a  {Commands.VersionCommand.NotReported} (not live: its last heartbeat)",
                "  host-b  7.7.7+test (not live: its last heartbeat)",
            ],
            output.TrimEnd().Split('\n'));
    }

    [Fact]
    public async Task Version_EmbeddedAsJson_ListsEachAgentWithItsVersionAndLiveness()
    {
        var store = await _store.OpenAsync();
        var now = DateTimeOffset.UtcNow;
        await store.UpsertHostAsync(new HostHeartbeat(Guid.NewGuid(), Guid.NewGuid(), now, "host-b", new Dictionary<string, string>(), "10.0.0.6", 4000, 8L << 30, 4000, 8L << 30, [], []) { AgentVersion = "7.7.7+test" }, now, CancellationToken.None);

        var (exit, json, error) = await CliProcess.RunAsync(Embedded, "version", "-o", "json");

        Assert.True(exit == 0, error);
        using var document = JsonDocument.Parse(json);
        Assert.Equal(Functions.Handlers.QueryHandler.FunctionsVersion, document.RootElement.GetProperty("functions").GetString());
        var agent = Assert.Single(document.RootElement.GetProperty("agents").EnumerateArray());
        Assert.Equal(("host-b", "7.7.7+test", true), (agent.GetProperty("host").GetString(), agent.GetProperty("version").GetString(), agent.GetProperty("live").GetBoolean()));
    }

    [Fact]
    public async Task Status_EmbeddedWithoutDocker_ReadsTheStoreAndShowsTheAddressesToCurl()
    {
        await SeedAsync();

        var (exit, output, error) = await CliProcess.RunAsync(Embedded, "status");

        Assert.True(exit == 0, error);
        var row = Assert.Single(output.Split('\n'), l => l.StartsWith("web ", StringComparison.Ordinal));
        Assert.EndsWith("10.0.0.5:31001,10.0.0.5:31002", row.TrimEnd(), StringComparison.Ordinal);
        Assert.Empty(error);
    }

    [Fact]
    public async Task Status_OneDeploymentAsYaml_ListsEachReplicaWithItsAddress()
    {
        await SeedAsync();

        var (exit, output, error) = await CliProcess.RunAsync(Embedded, "status", "web", "-o", "yaml");

        Assert.True(exit == 0, error);
        Assert.StartsWith("- name: web\n", output, StringComparison.Ordinal);
        Assert.Contains("address: 10.0.0.5:31001\n", output, StringComparison.Ordinal);
        Assert.Contains("address: 10.0.0.5:31002\n", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Status_WideWithoutName_ShowsEveryReplicaLine()
    {
        await SeedAsync();

        var (exit, output, error) = await CliProcess.RunAsync(Embedded, "status", "-o", "wide");

        Assert.True(exit == 0, error);
        Assert.Contains(output.Split('\n'), l => l.TrimStart().StartsWith("#0 ", StringComparison.Ordinal) && l.Contains("10.0.0.5:31001", StringComparison.Ordinal));
        Assert.Contains(output.Split('\n'), l => l.TrimStart().StartsWith("#1 ", StringComparison.Ordinal) && l.Contains("10.0.0.5:31002", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Hosts_EmbeddedWithNoAgentRunning_ShowsTheLastHeartbeatAsNotLiveWithItsAge()
    {
        await SeedAsync();

        var (exit, output, error) = await CliProcess.RunAsync(Embedded, "hosts");

        Assert.True(exit == 0, error);
        var row = Assert.Single(output.Split('\n'), l => l.StartsWith("host-a ", StringComparison.Ordinal)).Split(' ', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("no", row[1]);
        Assert.Equal("10m", row[^2]);
        Assert.Equal("zone=z1", row[^1]);
    }

    [Fact]
    public async Task Hosts_AsJson_IsTheStoredHeartbeat()
    {
        await SeedAsync();

        var (exit, output, error) = await CliProcess.RunAsync(Embedded, "hosts", "-o", "json");

        Assert.True(exit == 0, error);
        using var document = JsonDocument.Parse(output);
        var host = Assert.Single(document.RootElement.EnumerateArray());
        Assert.Equal("host-a", host.GetProperty("hostId").GetString());
        Assert.False(host.GetProperty("live").GetBoolean());
        Assert.Equal("10.0.0.5", host.GetProperty("bindAddress").GetString());
    }

    [Fact]
    public async Task History_Embedded_ReadsTheRevisionsFromTheStore()
    {
        await SeedAsync();

        var (exit, output, error) = await CliProcess.RunAsync(Embedded, "history", "web", "-o", "json");

        Assert.True(exit == 0, error);
        using var document = JsonDocument.Parse(output);
        var revision = Assert.Single(document.RootElement.EnumerateArray());
        Assert.Equal(1, revision.GetProperty("revision").GetInt64());
        Assert.Equal("nginx:1.27", revision.GetProperty("image").GetString());
    }

    [Fact]
    public async Task Status_UnknownNameAsJson_ExitsOneWithAJsonErrorAndNothingElse()
    {
        var (exit, output, error) = await CliProcess.RunAsync(Embedded, "status", "nosuch", "-o", "json");

        Assert.Equal(1, exit);
        using var document = JsonDocument.Parse(output);
        Assert.Equal("deployment.not-found", document.RootElement.GetProperty("error").GetProperty("code").GetString());
        Assert.Equal(1, document.RootElement.GetProperty("error").GetProperty("exitCode").GetInt32());
        Assert.Equal("workers: no deployment named nosuch", error.Trim());
    }

    [Fact]
    public async Task Status_FreshStore_SaysNoDeploymentsAndExitsZero()
    {
        var (exit, output, error) = await CliProcess.RunAsync(Embedded, "status");

        Assert.True(exit == 0, error);
        Assert.Equal("no deployments", output.Trim());
    }

    [Fact]
    public async Task StatusWatch_PrintsTheTableOnceThenKeepsWatchingUntilInterrupted()
    {
        await SeedAsync();
        using var watch = CliProcess.Start(Embedded, "status", "--watch");

        await Poll.UntilAsync(() => Task.FromResult(watch.Output), o => o.Contains("10.0.0.5:31001", StringComparison.Ordinal), TimeSpan.FromSeconds(30), "the first table");

        // Still watching after two more reads of an unchanged store, and the table was not printed again.
        var watchedUntil = DateTimeOffset.UtcNow + (2 * Commands.ClusterRunner.WatchInterval) + TimeSpan.FromSeconds(1);
        await Poll.UntilAsync(() => Task.FromResult(DateTimeOffset.UtcNow), now => now > watchedUntil || watch.HasExited, TimeSpan.FromSeconds(30), "two watch intervals");
        Assert.False(watch.HasExited, watch.Output + watch.Error);
        Assert.Single(watch.Output.Split('\n'), l => l.StartsWith("NAME ", StringComparison.Ordinal));

        Assert.Equal(130, await watch.InterruptAsync(TimeSpan.FromSeconds(30)));
    }
}
