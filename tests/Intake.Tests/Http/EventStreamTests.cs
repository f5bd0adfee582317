using System.Net;
using System.Net.Http.Headers;
using Workers.Contracts.Messages;
using Workers.Intake.Tests.Support;

namespace Workers.Intake.Tests.Http;

/// <summary><c>GET /api/events/stream</c> over real HTTP (Kestrel), read as a client reads server-sent events.</summary>
public sealed class EventStreamTests
{
    [Fact]
    public async Task EventStream_HostStopping_EndsTheResponseAfterTheEventsItHad()
    {
        await using var intake = await IntakeHarness.StartAsync(overHttp: true);
        for (var i = 0; i < 3; i++)
        {
            await intake.Store.AppendEventAsync(new WorkersEvent(0, intake.Time.GetUtcNow(), "host.joined", null, null, $"host-{i}", null, "joined"), $"joined-{i}", CancellationToken.None);
        }

        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/events/stream");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", IntakeHarness.Token);
        request.Headers.Add("Last-Event-ID", "1");
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        using var response = await intake.Client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, deadline.Token);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(deadline.Token));
        var lines = new List<string>();
        while (lines.Count(l => l.StartsWith("data: ", StringComparison.Ordinal)) < 2)
        {
            lines.Add(await reader.ReadLineAsync(deadline.Token) ?? throw new InvalidOperationException($"the stream ended early: {string.Join("\\n", lines)}"));
        }

        var stopping = intake.App.StopAsync(deadline.Token);
        var rest = await reader.ReadToEndAsync(deadline.Token);
        await stopping;

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(["retry: 2000", "id: 2", "id: 3"], lines.Where(l => l.StartsWith("retry: ", StringComparison.Ordinal) || l.StartsWith("id: ", StringComparison.Ordinal)));
        Assert.DoesNotContain("data: ", rest, StringComparison.Ordinal);
    }
}
