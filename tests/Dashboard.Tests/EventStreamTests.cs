using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;

namespace Workers.Dashboard.Tests;

[Collection(DashboardCollection.Name)]
public sealed class EventStreamTests(DashboardFixture fixture)
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(120);

    [Fact]
    public async Task EventStream_ResumedWithLastEventId_ReadsOnFromThatEventWithNoGapAndNoRepeat()
    {
        using var api = fixture.NewApiClient();
        var name = Specs.Name("sse");
        using var deploy = await api.PostAsync("/api/deployments", new StringContent(Specs.Http(name, 1, "1", "/healthz"), Encoding.UTF8, "application/yaml"));
        Assert.Equal(HttpStatusCode.Accepted, deploy.StatusCode);
        var history = await Poll.UntilAsync(() => EventsAsync(api, name), e => e.Any(x => x.Kind == "deployment.running"), Deadline, $"{name} running");

        // Resumed after the first event, with a stale ?after= that the header overrides.
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/api/events/stream?name={name}&after=0");
        request.Headers.Add("Last-Event-ID", history[0].Sequence.ToString(System.Globalization.CultureInfo.InvariantCulture));
        var streamed = await ReadStreamAsync(api, request, history[^1].Sequence);

        Assert.Equal(history.Skip(1).Select(e => e.Sequence), streamed.Select(e => e.Id));
        Assert.Equal(history.Skip(1).Select(e => (e.Kind, e.Message)), streamed.Select(e => (e.Event.Kind, e.Event.Message)));
        using var delete = await api.DeleteAsync($"/api/deployments/{name}");
        Assert.Equal(HttpStatusCode.Accepted, delete.StatusCode);
        await Poll.UntilAsync(() => EventsAsync(api, name), e => e.Any(x => x.Kind == "deployment.deleted"), Deadline, $"{name} deleted");
    }

    [Fact]
    public async Task EventStream_WithoutTokenOrWithABadFilter_IsRefusedBeforeStreaming()
    {
        using var anonymous = new HttpClient { BaseAddress = fixture.IntakeAddress };
        using var noToken = await anonymous.GetAsync("/api/events/stream");
        Assert.Equal(HttpStatusCode.Unauthorized, noToken.StatusCode);

        using var api = fixture.NewApiClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/events/stream?colour=red");
        request.Headers.Add("Last-Event-ID", "not-a-number");
        using var refused = await api.SendAsync(request);
        var detail = (await refused.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("detail").GetString();
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.Contains("'colour' is not a parameter of /api/events/stream", detail, StringComparison.Ordinal);
        Assert.Contains("after: 'not-a-number' is not an event sequence", detail, StringComparison.Ordinal);
    }

    internal sealed record StreamedEvent(long Id, EventJson Event);

    internal sealed record EventJson(long Sequence, string Kind, string? Name, string Message);

    private static async Task<IReadOnlyList<EventJson>> EventsAsync(HttpClient api, string name) =>
        (await api.GetFromJsonAsync<List<EventJson>>($"/api/events?name={name}&limit=1000", Json))!;

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>Reads server-sent events until one with id <paramref name="until"/> arrives (or the deadline passes).</summary>
    private static async Task<List<StreamedEvent>> ReadStreamAsync(HttpClient api, HttpRequestMessage request, long until)
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        using var response = await api.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, deadline.Token);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(new MediaTypeHeaderValue("text/event-stream") { CharSet = "utf-8" }, response.Content.Headers.ContentType);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(deadline.Token));
        var events = new List<StreamedEvent>();
        long? id = null;
        while (await reader.ReadLineAsync(deadline.Token) is { } line)
        {
            if (line.StartsWith("id: ", StringComparison.Ordinal))
            {
                id = long.Parse(line[4..], System.Globalization.CultureInfo.InvariantCulture);
            }
            else if (line.StartsWith("data: ", StringComparison.Ordinal))
            {
                var e = JsonSerializer.Deserialize<EventJson>(line[6..], Json)!;
                Assert.Equal(id, e.Sequence);
                events.Add(new StreamedEvent(e.Sequence, e));
                if (e.Sequence >= until)
                {
                    return events;
                }
            }
        }

        throw new InvalidOperationException($"the stream ended before event {until}; it sent {string.Join(", ", events.Select(e => e.Id))}");
    }
}
