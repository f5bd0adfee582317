using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Workers.Contracts.Messages;
using Workers.Functions.Handlers;
using Workers.Telemetry;

namespace Workers.Functions;

/// <summary>
/// The cluster's state as observable gauges (meter <c>Workers</c>): <c>workers.deployments</c> by <c>state</c>,
/// <c>workers.replicas</c> by <c>state</c> and <c>health</c> (<c>none</c> without a health check) and
/// <c>workers.hosts</c> by <c>live</c>, every combination reported, zeros included. They count what
/// <c>workers status</c> and <c>workers hosts</c> show, read through the same <see cref="QueryHandler"/>; one read
/// serves every gauge and every collection for <see cref="MaxAge"/>, so scrapers, however many and however often, cost
/// the store at most one read per <see cref="MaxAge"/>. Registered only where metrics are collected.
/// </summary>
public sealed class StoreGauges(IServiceScopeFactory scopes, TimeProvider time) : IHostedService, IDisposable
{
    /// <summary>How old a reading the gauges report at most.</summary>
    public static readonly TimeSpan MaxAge = TimeSpan.FromSeconds(5);

    private static readonly TimeSpan ReadTimeout = TimeSpan.FromSeconds(10);
    private readonly Meter _meter = new(WorkersTelemetry.Name);
    private readonly Lock _lock = new();
    private Reading? _reading;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _meter.CreateObservableGauge("workers.deployments", () => Current().Deployments, "{deployment}", "Deployments (their current revisions, as workers status lists them) by state.");
        _meter.CreateObservableGauge("workers.replicas", () => Current().Replicas, "{replica}", "Replicas of the current revisions by state and health.");
        _meter.CreateObservableGauge("workers.hosts", () => Current().Hosts, "{host}", "Hosts that have sent a heartbeat, by whether they are live.");
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public void Dispose() => _meter.Dispose();

    /// <summary>
    /// The reading, read again when older than <see cref="MaxAge"/>. Collection is synchronous, so the read blocks the
    /// collecting thread (a scrape) for as long as the store takes, at most once per <see cref="MaxAge"/>.
    /// </summary>
    private Reading Current()
    {
        lock (_lock)
        {
            if (_reading is null || time.GetUtcNow() - _reading.At > MaxAge)
            {
                _reading = ReadAsync().GetAwaiter().GetResult();
            }

            return _reading;
        }
    }

    private async Task<Reading> ReadAsync()
    {
        using var timeout = new CancellationTokenSource(ReadTimeout);
        await using var scope = scopes.CreateAsyncScope();
        var queries = scope.ServiceProvider.GetRequiredService<QueryHandler>();
        var now = time.GetUtcNow();
        var status = await queries.HandleAsync(new GetDeploymentStatus(Guid.NewGuid(), Guid.NewGuid(), now, null, null), timeout.Token);
        var hosts = await queries.HandleAsync(new GetHosts(Guid.NewGuid(), Guid.NewGuid(), now), timeout.Token);

        var deployments = Enum.GetValues<DeploymentState>()
            .Select(state => new Measurement<long>(status.Deployments.Count(d => d.State == state), new KeyValuePair<string, object?>("state", Label(state))))
            .ToList();
        var replicas = status.Deployments.SelectMany(d => d.Replicas).ToList();
        var healths = Enum.GetValues<ReplicaHealth>().Select(h => (ReplicaHealth?)h).Append(null).ToList();
        var replicaCounts = Enum.GetValues<ReplicaState>()
            .SelectMany(state => healths.Select(health => new Measurement<long>(
                replicas.Count(r => r.State == state && r.Health == health),
                new KeyValuePair<string, object?>("state", Label(state)),
                new KeyValuePair<string, object?>("health", health is { } h ? Label(h) : "none"))))
            .ToList();
        var hostCounts = new[] { true, false }
            .Select(live => new Measurement<long>(hosts.Hosts.Count(h => h.Live == live), new KeyValuePair<string, object?>("live", live ? "true" : "false")))
            .ToList();
        return new Reading(time.GetUtcNow(), deployments, replicaCounts, hostCounts);
    }

    /// <summary>The name as <c>workers status</c> prints it, lower case.</summary>
    private static string Label<T>(T value)
        where T : struct, Enum => value.ToString().ToLowerInvariant();

    private sealed record Reading(DateTimeOffset At, IReadOnlyList<Measurement<long>> Deployments, IReadOnlyList<Measurement<long>> Replicas, IReadOnlyList<Measurement<long>> Hosts);
}
