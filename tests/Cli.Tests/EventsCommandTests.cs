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

    /// <summary>"web": one replica on host-a that started and failed its probe an hour ago; "api": accepted a minute ago. The id of web.</summary>
    private async Task<Guid> SeedAsync()
    {
        var now = DateTimeOffset.UtcNow;
        var store = await _store.OpenAsync();
        var web = Guid.NewGuid();
        await store.SavePlanAsync(web, SpecParser.Parse("name: web\nimage: nginx:1.27\n"u8.ToArray(), "web.yaml").Spec!, "ci", [new ReplicaPlacement(0, "host-a", [])], [], now.AddHours(-1), CancellationToken.None);
        await store.UpdateReplicaAsync(web, 0, ReplicaState.Running, "c0", null, null, now.AddHours(-1), CancellationToken.None);
        await store.UpdateReplicaHealthAsync(web, 0, ReplicaHealth.Unhealthy, "c0", "GET /healthz -> 503", now.AddHours(-1), CancellationToken.None);
        await store.SavePlanAsync(Guid.NewGuid(), SpecParser.Parse("name: api\nimage: nginx:1.27\n"u8.ToArray(), "api.yaml").Spec!, "ci", [], [], now.AddMinutes(-1), CancellationToken.None);
        return web;
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
    public async Task EventsFollow_EventsRecordedWhileItRuns_ArePrintedOnceEachAsTheyComeUntilInterrupted()
    {
        var web = await SeedAsync();
        using var follow = CliProcess.Start(Embedded, "events", "web", "-f");
        await Poll.UntilAsync(() => Task.FromResult(follow.Output), o => o.Contains("GET /healthz -> 503", StringComparison.Ordinal), TimeSpan.FromSeconds(30), "the history so far");

        // A row change while it follows: the replica given up, with its reason.
        var store = await _store.OpenAsync();
        Assert.True(await store.UpdateReplicaAsync(web, 0, ReplicaState.Lost, null, null, "it turned unhealthy: GET /healthz -> 503", DateTimeOffset.UtcNow, CancellationToken.None));
        await Poll.UntilAsync(() => Task.FromResult(follow.Output), o => o.Contains("replica.lost", StringComparison.Ordinal), TimeSpan.FromSeconds(30), "the replica lost printed");

        // Then an event of another deployment (not followed) and one no row records, appended as the agent's heartbeat would.
        await store.SavePlanAsync(Guid.NewGuid(), SpecParser.Parse("name: db\nimage: nginx:1.27\n"u8.ToArray(), "db.yaml").Spec!, "ci", [], [], DateTimeOffset.UtcNow, CancellationToken.None);
        await store.AppendEventAsync(new WorkersEvent(0, DateTimeOffset.UtcNow, "replica.orphaned", "web", 1, "host-a", 0, "container c0: the store has the replica lost"), "replica.orphaned:host-a:c0", CancellationToken.None);
        await Poll.UntilAsync(() => Task.FromResult(follow.Output), o => o.Contains("replica.orphaned", StringComparison.Ordinal), TimeSpan.FromSeconds(30), "the orphan printed");

        Assert.False(follow.HasExited, follow.Error);
        Assert.Equal(130, await follow.InterruptAsync(TimeSpan.FromSeconds(30)));
        var lines = follow.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(
            ["deployment.accepted", "replica.placed", "replica.running", "replica.unhealthy", "replica.lost", "replica.orphaned"],
            lines.Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries)[2]));
        Assert.EndsWith("web r1 #0 on host-a: it turned unhealthy: GET /healthz -> 503", lines[4], StringComparison.Ordinal);
        Assert.EndsWith("web r1 #0 on host-a: container c0: the store has the replica lost", lines[5], StringComparison.Ordinal);
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
