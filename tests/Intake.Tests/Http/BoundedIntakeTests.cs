using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Workers.Intake.Http;
using Workers.Intake.Security;
using Workers.Intake.Tests.Support;

namespace Workers.Intake.Tests.Http;

/// <summary>
/// Nobody unauthenticated makes the intake read a body: over real HTTP, requests announce a 24 MiB body and send none
/// (or part), and are answered before it arrives.
/// </summary>
public sealed class BoundedIntakeTests : IAsyncLifetime
{
    private const long Announced = 24L * 1024 * 1024;
    private static readonly TimeSpan Answer = TimeSpan.FromSeconds(10);

    private IntakeHarness _intake = null!;

    public async Task InitializeAsync()
    {
        var settings = IntakeHarness.DefaultSettings();
        settings["Workers:Intake:MaxUnverifiedBodies"] = "1";
        _intake = await IntakeHarness.StartAsync(settings, overHttp: true);
    }

    public async Task DisposeAsync() => await _intake.DisposeAsync();

    public static TheoryData<string, string, string, int> UnreadRefusals => new()
    {
        { "/api/hooks/github", "X-GitHub-Event", "push", 401 },
        { "/api/hooks/github", "X-Hub-Signature-256", "sha256=nothex", 401 },
        { "/api/hooks/events", "webhook-id", "msg_1", 401 },
        { "/api/deployments", "Authorization", "Bearer wrong-token", 403 },
        { "/api/deployments", "X-Other", "no token", 401 },
        { "/api/deployments/web/rollback", "Authorization", "Bearer wrong-token", 403 },
    };

    [Theory]
    [MemberData(nameof(UnreadRefusals))]
    public async Task Post_WithoutAWellFormedSignatureOrToken_IsAnsweredBeforeTheBodyIsSentAndClosed(string path, string header, string value, int status)
    {
        await using var request = await RawHttp.SendHeadAsync(_intake.Client.BaseAddress!, path, Announced, new Dictionary<string, string> { [header] = value });

        var (answered, head) = await request.ReadResponseHeadAsync(Answer);

        Assert.Equal(status, answered);
        Assert.Contains("Connection: close", head, StringComparison.OrdinalIgnoreCase);
        Assert.Empty(_intake.Dispatcher.Published);
    }

    [Fact]
    public async Task Post_GitHubBodyAboveTheLimit_Answers413Unread()
    {
        await using var request = await RawHttp.SendHeadAsync(_intake.Client.BaseAddress!, "/api/hooks/github", 26L * 1024 * 1024, new Dictionary<string, string>
        {
            ["X-GitHub-Event"] = "push",
            ["X-Hub-Signature-256"] = GitHubSignature.Sign("x"u8, "y"u8),
        });

        Assert.Equal(413, (await request.ReadResponseHeadAsync(Answer)).Status);
    }

    [Fact]
    public async Task Post_WhileEveryUnverifiedSlotIsTaken_Answers429AndTheSlotHolderIsStillChecked()
    {
        var body = new byte[64 * 1024];
        var signed = new Dictionary<string, string>
        {
            ["X-GitHub-Event"] = "push",
            ["X-GitHub-Delivery"] = Guid.NewGuid().ToString(),
            ["X-Hub-Signature-256"] = GitHubSignature.Sign("not the secret"u8, body),
        };
        var slots = _intake.App.Services.GetRequiredService<UnverifiedBodies>();
        await using var holder = await RawHttp.SendHeadAsync(_intake.Client.BaseAddress!, "/api/hooks/github", body.Length, signed);
        await holder.SendAsync(body.AsMemory(0, 1024));
        var sent = 1024;

        // The second request is sent only once the holder has its slot: sent earlier, it could take the slot first and
        // the holder would be the one refused (which a fresh clone in CI reached).
        var deadline = DateTimeOffset.UtcNow + Answer;
        while (slots.Taken == 0 && DateTimeOffset.UtcNow < deadline)
        {
            // The holder keeps sending a little, as a slow client does: one that sends nothing for seconds falls below
            // Kestrel's minimum body rate (240 B/s after 5 s) and is cut off.
            await holder.SendAsync(body.AsMemory(sent, 64));
            sent += 64;
            await Task.Delay(TimeSpan.FromMilliseconds(20));
        }

        Assert.Equal(1, slots.Taken);
        await using var second = await RawHttp.SendHeadAsync(_intake.Client.BaseAddress!, "/api/hooks/events", 10, new Dictionary<string, string>
        {
            ["webhook-id"] = "msg_1",
            ["webhook-timestamp"] = _intake.Time.GetUtcNow().ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["webhook-signature"] = "v1," + Convert.ToBase64String(new byte[32]),
        });
        await second.SendAsync(new byte[10]);
        var (status, head) = await second.ReadResponseHeadAsync(Answer);

        await holder.SendAsync(body.AsMemory(sent));
        var (held, _) = await holder.ReadResponseHeadAsync(Answer);

        Assert.Equal(429, status);
        Assert.Contains("Retry-After: 5", head, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(401, held);
        Assert.Empty(_intake.Dispatcher.Published);
    }

    [Fact]
    public async Task Post_SignedDeliveryAfterTheSlotIsFreed_IsActedOn()
    {
        await using (var refused = await RawHttp.SendHeadAsync(_intake.Client.BaseAddress!, "/api/hooks/github", 1024, new Dictionary<string, string>
        {
            ["X-GitHub-Event"] = "push",
            ["X-Hub-Signature-256"] = GitHubSignature.Sign("not the secret"u8, new byte[1024]),
        }))
        {
            await refused.SendAsync(new byte[1024]);
            Assert.Equal(401, (await refused.ReadResponseHeadAsync(Answer)).Status);
        }

        using var response = await _intake.PostGitHubAsync("push", Payloads.Read("push-tag.json"));

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.Single(_intake.Dispatcher.Published);
    }
}
