using System.Globalization;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Hosting;

namespace Workers.Intake.Http;

/// <summary>
/// <c>GET /api/events/stream</c>: the event history as server-sent events, followed live. Each event is one
/// <c>id: SEQUENCE</c> and <c>data: JSON</c> (the JSON of <c>GET /api/events</c>); a client that reconnects with
/// <c>Last-Event-ID</c> (or <c>?after=</c>) reads on from there without a gap or a repeat. It takes the same filters as
/// <c>/api/events</c>; the first read answers the newest <c>limit</c> of those, then every new one follows. A comment
/// line goes out when nothing else has for <see cref="Heartbeat"/>, so that proxies keep the connection open and a client
/// notices a dead one; the stream ends (the response completes) when the client leaves or the host stops.
/// </summary>
public static class EventStream
{
    /// <summary>How often the store is read for new events.</summary>
    public static readonly TimeSpan PollInterval = TimeSpan.FromSeconds(1);

    /// <summary>The longest silence before a heartbeat comment.</summary>
    public static readonly TimeSpan Heartbeat = TimeSpan.FromSeconds(15);

    public static async Task StreamAsync(HttpContext context, DeploymentIntake intake, IHostApplicationLifetime lifetime)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(intake);
        ArgumentNullException.ThrowIfNull(lifetime);
        var request = context.Request;
        if (intake.Authorize(request.Headers.Authorization) is { } refused)
        {
            await new IntakeHttpResult(refused).ExecuteAsync(context);
            return;
        }

        var query = IntakeHttp.QueryOf(request);
        var lastEventId = request.Headers["Last-Event-ID"].ToString();
        if (lastEventId.Length > 0)
        {
            // The browser's reconnect names the last event it had: that wins over the ?after= of the first connect.
            query["after"] = lastEventId;
        }

        if (intake.ParseEvents(query, "/api/events/stream", out var problem) is not { } events)
        {
            await new IntakeHttpResult(problem!).ExecuteAsync(context);
            return;
        }

        var response = context.Response;
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = "text/event-stream; charset=utf-8";
        response.Headers.CacheControl = "no-cache, no-store";
        response.Headers["X-Accel-Buffering"] = "no";
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, lifetime.ApplicationStopping);
        var token = stop.Token;
        try
        {
            await WriteAsync(response, "retry: 2000\n\n", token);
            var silentSince = DateTimeOffset.UtcNow;
            while (!token.IsCancellationRequested)
            {
                var batch = await intake.ReadEventsAsync(events, token);
                if (batch.Count > 0)
                {
                    var text = new StringBuilder();
                    foreach (var e in batch)
                    {
                        text.Append(CultureInfo.InvariantCulture, $"id: {e.Sequence}\ndata: {JsonSerializer.Serialize(e, IntakeHttpResult.Json)}\n\n");
                    }

                    await WriteAsync(response, text.ToString(), token);
                    events = events with { After = batch[^1].Sequence, Since = null, Limit = PageQuery.MaxLimit };
                    silentSince = DateTimeOffset.UtcNow;
                }
                else if (DateTimeOffset.UtcNow - silentSince >= Heartbeat)
                {
                    await WriteAsync(response, ": heartbeat\n\n", token);
                    silentSince = DateTimeOffset.UtcNow;
                }

                await Task.Delay(PollInterval, token);
            }
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
            // The client left or the host is stopping: the response ends here, cleanly.
        }
    }

    private static async Task WriteAsync(HttpResponse response, string text, CancellationToken cancellationToken)
    {
        await response.WriteAsync(text, cancellationToken);
        await response.Body.FlushAsync(cancellationToken);
    }
}
