using System.Net;
using System.Text.Json;
using Workers.Functions.Handlers;
using Workers.Intake.Tests.Support;

namespace Workers.Intake.Tests.Http;

/// <summary><c>POST /api/hosts/{id}/forget</c> and <c>/revoke</c>: what <c>workers hosts forget|revoke</c> does, with the API token.</summary>
public sealed class HostKeysApiTests : IAsyncLifetime
{
    private IntakeHarness _intake = null!;

    public async Task InitializeAsync() => _intake = await IntakeHarness.StartAsync();

    public async Task DisposeAsync() => await _intake.DisposeAsync();

    [Fact]
    public async Task Revoke_ThenForgetTwice_AnswersWhatWasDoneEachTimeAsTheCliPrintsIt()
    {
        var revoked = await AnswerAsync("/api/hosts/host-a/revoke");
        var pinned = await _intake.Store.GetHostKeysAsync("host-a", CancellationToken.None);
        var forgotten = await AnswerAsync("/api/hosts/host-a/forget");
        var again = await AnswerAsync("/api/hosts/host-a/forget");

        Assert.Equal(("host-a", "revoked"), revoked);
        Assert.Equal(AgentSenders.Revoked, pinned);
        Assert.Equal(("host-a", "forgotten"), forgotten);
        Assert.Equal(("host-a", "had no keys pinned"), again);
        Assert.Null(await _intake.Store.GetHostKeysAsync("host-a", CancellationToken.None));
    }

    [Fact]
    public async Task Forget_NotAHostId_Answers400SayingWhy()
    {
        using var response = await _intake.SendAsync(HttpMethod.Post, "/api/hosts/Host_A/forget");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var detail = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("detail").GetString();
        Assert.StartsWith("'Host_A' is not a host id: may hold only lowercase letters", detail, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(null, HttpStatusCode.Unauthorized)]
    [InlineData("token-for-tests-3", HttpStatusCode.Forbidden)]
    public async Task Revoke_WithoutAConfiguredToken_IsRefusedAndRevokesNothing(string? token, HttpStatusCode status)
    {
        using var response = await _intake.SendAsync(HttpMethod.Post, "/api/hosts/host-b/revoke", token);

        Assert.Equal(status, response.StatusCode);
        Assert.Null(await _intake.Store.GetHostKeysAsync("host-b", CancellationToken.None));
    }

    private async Task<(string? HostId, string? Outcome)> AnswerAsync(string path)
    {
        using var response = await _intake.SendAsync(HttpMethod.Post, path);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        return (body.GetProperty("hostId").GetString(), body.GetProperty("outcome").GetString());
    }
}
