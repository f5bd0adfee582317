using System.Diagnostics;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Workers.Contracts.Messages;
using Workers.Contracts.Spec;
using Workers.Functions;
using Workers.Functions.Handlers;
using Workers.Functions.Store;
using Workers.Intake;

namespace Workers.Bench;

/// <summary>
/// The dashboard's reads at the scale issue 12 names: 1,000 hosts and 10,000 running replicas (1,000 deployments of 10)
/// in a SQLite store, read through the HTTP API's own code (<see cref="DeploymentIntake"/>, no Kestrel): a page of 100
/// deployments, a page of 100 hosts, one deployment by name, and the whole unpaged list that <c>workers status</c> reads.
/// </summary>
internal static class DashboardBench
{
    private const int Hosts = 1_000;
    private const int Deployments = 1_000;
    private const int ReplicasEach = 10;

    public static async Task<IEnumerable<string>> RunAsync(int runs)
    {
        var directory = Directory.CreateTempSubdirectory("workers-bench-dashboard-").FullName;
        try
        {
            var path = Path.Combine(directory, "workers.db");
            var seeding = Stopwatch.StartNew();
            await SeedAsync(path);
            seeding.Stop();

            var services = new ServiceCollection();
            services.AddLogging();
            services.AddSingleton<IConfiguration>(new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["WORKERS_API_TOKENS"] = "bench" }).Build());
            services.AddSingleton(TimeProvider.System);
            services.AddSingleton<IEffectsDispatcher, NoDispatch>();
            services.AddWorkersHandlers(_ => new SqliteDialect(path));
            services.AddWorkersIntake();
            await using var provider = services.BuildServiceProvider();
            var intake = provider.GetRequiredService<DeploymentIntake>();

            var reads = new (string Name, Func<Task<IntakeResult>> Read)[]
            {
                ("`GET /api/deployments?limit=100` (the dashboard's first page)", () => intake.ListAsync(Query(("limit", "100")), CancellationToken.None)),
                ("`GET /api/deployments?offset=900&limit=100` (its last page)", () => intake.ListAsync(Query(("offset", "900"), ("limit", "100")), CancellationToken.None)),
                ("`GET /api/hosts?limit=100`", () => intake.HostsAsync(Query(("limit", "100")), CancellationToken.None)),
                ("`GET /api/deployments/web-0500` (one deployment)", () => intake.StatusAsync("web-0500", CancellationToken.None)),
                ("`GET /api/deployments` (unpaged: all 1,000, as `workers status` reads them)", () => intake.ListAsync(Query(), CancellationToken.None)),
            };

            var lines = new List<string>
            {
                $"## Dashboard reads ({Hosts:N0} hosts, {Deployments:N0} deployments × {ReplicasEach} running replicas, SQLite; seeded in {seeding.Elapsed.TotalSeconds:0} s)",
                "| read | ms (median, min–max) | status |",
                "|---|---:|---:|",
            };
            foreach (var (name, read) in reads)
            {
                var status = (await read()).Status;
                var times = new List<double>();
                for (var i = 0; i < Math.Max(runs, 3); i++)
                {
                    var clock = Stopwatch.StartNew();
                    await read();
                    times.Add(clock.Elapsed.TotalMilliseconds);
                }

                times.Sort();
                lines.Add($"| {name} | {times[times.Count / 2]:0} ({times[0]:0}–{times[^1]:0}) | {status} |");
            }

            return lines;
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    private static Dictionary<string, string?> Query(params (string Key, string Value)[] pairs) =>
        pairs.ToDictionary(p => p.Key, p => (string?)p.Value, StringComparer.Ordinal);

    private static async Task SeedAsync(string path)
    {
        var store = new SqlDeploymentStore(new SqliteDialect(path));
        await store.MigrateAsync(CancellationToken.None);
        var now = DateTimeOffset.UtcNow;
        for (var h = 0; h < Hosts; h++)
        {
            await store.UpsertHostAsync(new HostHeartbeat(Guid.NewGuid(), Guid.NewGuid(), now, Host(h), new Dictionary<string, string> { ["zone"] = $"z{h % 3}" }, $"10.0.{h / 250}.{(h % 250) + 1}", 4000, 16L << 30, 4000, 16L << 30, [], []), now, CancellationToken.None);
        }

        for (var d = 0; d < Deployments; d++)
        {
            var spec = SpecParser.Parse(System.Text.Encoding.UTF8.GetBytes($"name: web-{d:0000}\nimage: {TestImages.Workload}\nreplicas: {ReplicasEach}\nports: [{{container: 8080}}]\n"), "bench.yaml").Spec!;
            var id = Guid.NewGuid();
            var placements = Enumerable.Range(0, ReplicasEach)
                .Select(i => new ReplicaPlacement(i, Host(((d * ReplicasEach) + i) % Hosts), [new PortBinding(8080, 20000 + d, Protocol.Tcp)]))
                .ToList();
            await store.SavePlanAsync(id, spec, "bench", placements, [], now, CancellationToken.None);
            foreach (var placement in placements)
            {
                await store.UpdateReplicaAsync(id, placement.Index, ReplicaState.Running, $"{id:N}{placement.Index:000}", placement.Ports, null, now, CancellationToken.None);
            }

            await store.TransitionRevisionAsync(id, [DeploymentState.Pending], DeploymentState.Running, null, now, CancellationToken.None);
        }
    }

    private static string Host(int index) => $"host-{index:0000}";

    /// <summary>The reads publish nothing; a dispatch would be a bug in the bench.</summary>
    private sealed class NoDispatch : IEffectsDispatcher
    {
        public Task DispatchAsync(Effects effects, CancellationToken cancellationToken) =>
            throw new InvalidOperationException("the dashboard's reads must not publish");
    }
}
