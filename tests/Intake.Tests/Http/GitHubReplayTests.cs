using System.Net;
using System.Text;
using System.Text.Json;
using Workers.Contracts.Messages;
using Workers.Intake.Tests.Support;

namespace Workers.Intake.Tests.Http;

/// <summary>
/// A GitHub event is acted on by what it is, not by its (unsigned) delivery id, and never after a newer one of the same
/// rule: over real HTTP (Kestrel on 127.0.0.1), with the store the intake reads.
/// </summary>
public sealed class GitHubReplayTests : IAsyncLifetime
{
    private const string First = "6113728f27ae82c7b1a177c8d03f9e96e0adf246";
    private const string Second = "7224839f38bf93d2c288d9e07f0f1a07e1bfa357";
    private const long PushedAt = 1557933657;

    private IntakeHarness _intake = null!;

    public async Task InitializeAsync() => _intake = await IntakeHarness.StartAsync(overHttp: true);

    public async Task DisposeAsync() => await _intake.DisposeAsync();

    [Fact]
    public async Task Post_SamePushUnderANewDeliveryId_DeploysNothing()
    {
        var body = Push("v1.4.2", First, PushedAt);

        using var first = await _intake.PostGitHubAsync("push", body, delivery: Guid.NewGuid().ToString());
        using var replayed = await _intake.PostGitHubAsync("push", body, delivery: Guid.NewGuid().ToString());

        Assert.Equal(HttpStatusCode.Accepted, first.StatusCode);
        Assert.Equal(HttpStatusCode.OK, replayed.StatusCode);
        Assert.Contains("acted on before", await replayed.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Single(_intake.Dispatcher.Published);
    }

    [Fact]
    public async Task Post_PushOlderThanTheOneThatProducedTheRunningRevision_Answers409AndDeploysNothing()
    {
        using var newer = await _intake.PostGitHubAsync("push", Push("v1.0.1", Second, PushedAt));
        await _intake.RecordRevisionAsync(Assert.IsType<DeploymentRequested>(Assert.Single(_intake.Dispatcher.Published)));

        // Pushed before v1.0.1 and never acted on (delivered late, or captured and sent again under a new id).
        using var older = await _intake.PostGitHubAsync("push", Push("v1.0.0", First, PushedAt - 60));

        Assert.Equal(HttpStatusCode.Accepted, newer.StatusCode);
        await DeploymentApiTests.AssertProblemAsync(older, HttpStatusCode.Conflict);
        Assert.Single(_intake.Dispatcher.Published);
    }

    [Fact]
    public async Task Post_PushNewerThanTheRunningRevision_Deploys()
    {
        using var first = await _intake.PostGitHubAsync("push", Push("v1.0.0", First, PushedAt));
        await _intake.RecordRevisionAsync(Assert.IsType<DeploymentRequested>(Assert.Single(_intake.Dispatcher.Published)));

        using var next = await _intake.PostGitHubAsync("push", Push("v1.0.1", Second, PushedAt + 60));

        Assert.Equal((HttpStatusCode.Accepted, HttpStatusCode.Accepted), (first.StatusCode, next.StatusCode));
        Assert.Equal(["ghcr.io/acme/web:v1.0.0", "ghcr.io/acme/web:v1.0.1"], Images());
    }

    [Fact]
    public async Task Post_ForcedPushBackToAnEarlierCommit_IsAnExplicitRollbackThatDeploysOnce()
    {
        using var first = await _intake.PostGitHubAsync("push", Push("v1.0.0", First, PushedAt));
        await _intake.RecordRevisionAsync((DeploymentRequested)_intake.Dispatcher.Published[^1]);
        using var moved = await _intake.PostGitHubAsync("push", Push("v1.0.0", Second, PushedAt + 60, before: First, forced: true));
        await _intake.RecordRevisionAsync((DeploymentRequested)_intake.Dispatcher.Published[^1]);

        // The tag is forced back to the first commit: the same ref and `after` as the first push, but a new push.
        var back = Push("v1.0.0", First, PushedAt + 120, before: Second, forced: true);
        using var rollback = await _intake.PostGitHubAsync("push", back);
        using var replayed = await _intake.PostGitHubAsync("push", back);

        Assert.Equal((HttpStatusCode.Accepted, HttpStatusCode.Accepted, HttpStatusCode.Accepted), (first.StatusCode, moved.StatusCode, rollback.StatusCode));
        Assert.Equal(HttpStatusCode.OK, replayed.StatusCode);
        Assert.Equal(3, _intake.Dispatcher.Published.Count);
        Assert.StartsWith($"github:acme/web@refs/tags/v1.0.0 {First[..12]} ", ((DeploymentRequested)_intake.Dispatcher.Published[^1]).RequestedBy, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Post_PushWhoseAfterIsAllZeros_DeploysNothingThoughDeletedIsFalse()
    {
        using var response = await _intake.PostGitHubAsync("push", Push("v1.0.0", new string('0', 40), PushedAt));

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.Contains("deletes its ref", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Empty(_intake.Dispatcher.Published);
    }

    private List<string?> Images() =>
        [.. _intake.Dispatcher.Published.Cast<DeploymentRequested>().Select(r => JsonDocument.Parse(r.SpecText).RootElement.GetProperty("image").GetString())];

    // The tag push payload with another tag, commits, push time and force flag; "deleted" stays false.
    private static byte[] Push(string tag, string after, long pushedAt, string before = "0000000000000000000000000000000000000000", bool forced = false) =>
        Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(Payloads.Read("push-tag.json"))
            .Replace("refs/tags/v1.4.2", $"refs/tags/{tag}", StringComparison.Ordinal)
            .Replace($"\"before\": \"{new string('0', 40)}\"", $"\"before\": \"{before}\"", StringComparison.Ordinal)
            .Replace($"\"after\": \"{First}\"", $"\"after\": \"{after}\"", StringComparison.Ordinal)
            .Replace($"\"pushed_at\": {PushedAt}", $"\"pushed_at\": {pushedAt}", StringComparison.Ordinal)
            .Replace("\"forced\": false", forced ? "\"forced\": true" : "\"forced\": false", StringComparison.Ordinal));
}
