using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using MassTransit;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Workers.Functions;
using Workers.Functions.Bus;
using Workers.Functions.Store;
using Workers.Intake;
using Workers.Transport;

namespace Workers.Bench.Intake;

/// <summary>
/// How long <c>POST /api/deployments</c> takes to answer 202: the self-hosted functions host (every function, the
/// intake on Kestrel at 127.0.0.1, the in-memory bus, SQLite), a typical spec, requests one after another over a kept-alive
/// connection. The 202 comes after the request is validated and published; the pipeline works on behind it.
/// </summary>
internal static class IntakeBench
{
    private const int Warmup = 50;
    private const int Requests = 500;
    private const string Token = "bench-token";

    public static async Task<IEnumerable<string>> RunAsync(int runs)
    {
        var store = Path.Combine(Path.GetTempPath(), $"workers-bench-intake-{Guid.NewGuid():N}.db");
        var builder = WebApplication.CreateSlimBuilder();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["WORKERS_HTTP_URLS"] = "http://127.0.0.1:0", ["WORKERS_API_TOKENS"] = Token });
        builder.Logging.ClearProviders();
        builder.Services.AddWorkersHandlers(_ => new SqliteDialect(store));
        builder.Services.AddWorkersBus(Broker.InMemory, bus => bus.AddWorkersFunctionConsumers(), (context, cfg) => cfg.ConfigureEndpoints(context));
        builder.Services.AddWorkersSweep();
        builder.AddWorkersHttpIntake();
        await using var app = builder.Build();
        app.MapWorkersIntake();
        await app.StartAsync();
        try
        {
            var address = new Uri(app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.Single());
            using var http = new HttpClient { BaseAddress = address };
            var spec = await File.ReadAllTextAsync(Path.Combine(Root.Path, "examples", "web.yaml"));
            await PostManyAsync(http, spec, Warmup);
            var rounds = new List<(double P50, double P99)>();
            for (var run = 0; run < runs; run++)
            {
                var times = (await PostManyAsync(http, spec, Requests)).Order().ToList();
                rounds.Add((times[times.Count / 2], times[(int)(times.Count * 0.99)]));
            }

            var p50 = rounds.Select(r => r.P50).Order().ToList();
            var p99 = rounds.Select(r => r.P99).Order().ToList();
            return
            [
                "## HTTP intake: POST /api/deployments until 202",
                $"Self-hosted functions host (all functions, Kestrel on 127.0.0.1, in-memory bus, SQLite), examples/web.yaml, {Requests} requests one after another per run after {Warmup} warm-up; milliseconds.",
                "",
                "| p50 (median, min–max over runs) | p99 (median, min–max over runs) |",
                "|---:|---:|",
                $"| {Measure.Format(p50[p50.Count / 2])} ({Measure.Format(p50[0])}–{Measure.Format(p50[^1])}) | {Measure.Format(p99[p99.Count / 2])} ({Measure.Format(p99[0])}–{Measure.Format(p99[^1])}) |",
                "",
            ];
        }
        finally
        {
            await app.StopAsync();
            File.Delete(store);
        }
    }

    private static async Task<List<double>> PostManyAsync(HttpClient http, string spec, int count)
    {
        var times = new List<double>(count);
        for (var i = 0; i < count; i++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/api/deployments")
            {
                Content = new StringContent(spec.Replace("name: web", $"name: web-{Guid.NewGuid():N}"[..23], StringComparison.Ordinal), Encoding.UTF8),
            };
            request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/yaml");
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Token);
            var clock = Stopwatch.StartNew();
            using var response = await http.SendAsync(request);
            times.Add(clock.Elapsed.TotalMilliseconds);
            if (response.StatusCode != HttpStatusCode.Accepted)
            {
                throw new InvalidOperationException($"POST /api/deployments answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
            }
        }

        return times;
    }
}
