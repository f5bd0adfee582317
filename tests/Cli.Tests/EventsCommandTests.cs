using System.Text.Json;
using Workers.Contracts.Messages;
using Workers.Contracts.Spec;

namespace Workers.Cli.Tests;

/// <summary><c>workers events</c> on the embedded default: the store's history, as a whole process, with no broker and no Docker.</summary>
public sealed class EventsCommandTests : IDisposable
{
    private readonly EmbeddedStore _store = new();

    public void Dispose() => _store.Dispose();

    private Dictionary<string, string> Embedded => _store.Environment;

    /// <summary>"web": one replica on host-a that started and failed its probe an hour ago; "api": accepted a minute ago.</summary>
    private async Task SeedAsync()
    {
        var now = DateTimeOffset.UtcNow;
        var store = await _store.OpenAsync();
        var web = Guid.NewGuid();
        await store.SavePlanAsync(web, SpecParser.Parse("name: web\nimage: nginx:1.27\n"u8.ToArray(), "web.yaml").Spec!, "ci", [new ReplicaPlacement(0, "host-a", [])], [], now.AddHours(-1), CancellationToken.None);
        await store.UpdateReplicaAsync(web, 0, ReplicaState.Running, "c0", null, null, now.AddHours(-1), CancellationToken.None);
        await store.UpdateReplicaHealthAsync(web, 0, ReplicaHealth.Unhealthy, "c0", "GET /healthz -> 503", now.AddHours(-1), CancellationToken.None);
        await store.SavePlanAsync(Guid.NewGuid(), SpecParser.Parse("name: api\nimage: nginx:1.27\n"u8.ToArray(), "api.yaml").Spec!, "ci", [], [], now.AddMinutes(-1), CancellationToken.None);
    }

    [Fact]
    public async Task Events_OfOneDeployment_OneLineEachOldestFirstWithTheReason()
    {
        await SeedAsync();

        var (exit, output, error) = await CliProcess.RunAsync(Embedded, "events", "web");

        Assert.True(exit == 0, error);
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(["deployment.accepted", "replica.placed", "replica.running", "replica.unhealthy"], lines.Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries)[2]));
        Assert.EndsWith("web r1 #0 on host-a: GET /healthz -> 503", lines[^1], StringComparison.Ordinal);
        Assert.DoesNotContain(lines, l => l.Contains("api", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Events_SinceTenMinutesAsJson_OnlyTheRecentOnes()
    {
        await SeedAsync();

        var (exit, output, error) = await CliProcess.RunAsync(Embedded, "events", "--since", "10m", "-o", "json");

        Assert.True(exit == 0, error);
        var events = JsonDocument.Parse(output).RootElement.EnumerateArray().ToList();
        Assert.Equal(("api", "deployment.accepted"), (Assert.Single(events).GetProperty("name").GetString(), events[0].GetProperty("kind").GetString()));
    }

    [Fact]
    public async Task Events_SinceNotADuration_IsAUsageErrorInOneLine()
    {
        var (exit, output, error) = await CliProcess.RunAsync(Embedded, "events", "--since", "yesterday");

        Assert.Equal(2, exit);
        Assert.Empty(output);
        Assert.StartsWith("workers: --since yesterday:", error, StringComparison.Ordinal);
        Assert.Single(error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }
}
