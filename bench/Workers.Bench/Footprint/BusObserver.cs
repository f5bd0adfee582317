using System.Collections.Concurrent;
using System.Diagnostics;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Workers.Contracts.Messages;
using Workers.Transport;

namespace Workers.Bench.Footprint;

/// <summary>
/// The harness's own bus client: hears the agents' heartbeats and replica results, and sends start commands to a host
/// the way the functions do (to the exchange in front of its queue).
/// </summary>
internal sealed class BusObserver : IAsyncDisposable
{
    private readonly ConcurrentDictionary<string, HostHeartbeat> _heartbeats = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<(Guid Deployment, int Index), ReplicaStarted> _started = new();
    private readonly ConcurrentQueue<ReplicaFailed> _failed = new();
    private IHost? _host;

    public IBus Bus => _host!.Services.GetRequiredService<IBus>();

    public static async Task<BusObserver> StartAsync(Broker broker, CancellationToken cancellationToken)
    {
        var observer = new BusObserver();
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Logging.ClearProviders();
        builder.Services.AddWorkersBus(broker, _ => { }, (_, cfg) => cfg.ReceiveEndpoint($"workers-bench.{Guid.NewGuid():N}", endpoint =>
        {
            if (endpoint is IRabbitMqReceiveEndpointConfigurator rabbit)
            {
                rabbit.AutoDelete = true;
                rabbit.Durable = false;
            }

            endpoint.Handler<HostHeartbeat>(context =>
            {
                observer._heartbeats[context.Message.HostId] = context.Message;
                return Task.CompletedTask;
            });
            endpoint.Handler<ReplicaStarted>(context =>
            {
                observer._started[(context.Message.CorrelationId, context.Message.Index)] = context.Message;
                return Task.CompletedTask;
            });
            endpoint.Handler<ReplicaFailed>(context =>
            {
                observer._failed.Enqueue(context.Message);
                return Task.CompletedTask;
            });
        }));
        observer._host = builder.Build();
        await observer._host.StartAsync(cancellationToken);
        return observer;
    }

    /// <summary>Until a heartbeat of <paramref name="hostId"/> satisfies <paramref name="condition"/>; returns it.</summary>
    public Task<HostHeartbeat> WaitForHeartbeatAsync(string hostId, Func<HostHeartbeat, bool> condition, TimeSpan deadline, Func<bool> alive, CancellationToken cancellationToken) =>
        PollAsync(() => _heartbeats.TryGetValue(hostId, out var heartbeat) && condition(heartbeat) ? heartbeat : null, deadline, alive, $"a heartbeat of {hostId}", cancellationToken);

    /// <summary>Until every replica of <paramref name="deployment"/> reported started; fails at the first failure.</summary>
    public Task WaitForStartedAsync(Guid deployment, int replicas, TimeSpan deadline, Func<bool> alive, CancellationToken cancellationToken) =>
        PollAsync<object>(
            () =>
            {
                if (_failed.FirstOrDefault(f => f.CorrelationId == deployment) is { } failure)
                {
                    throw new InvalidOperationException($"replica #{failure.Index} failed: {failure.Reason}");
                }

                return _started.Keys.Count(k => k.Deployment == deployment) >= replicas ? deployment : null;
            },
            deadline,
            alive,
            $"{replicas} replicas started",
            cancellationToken);

    public async Task SendAsync(string hostId, StartReplicas command, CancellationToken cancellationToken)
    {
        var endpoint = await Bus.GetSendEndpoint(Queues.HostAddress(Bus.Address, hostId));
        await endpoint.Send(command, cancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        if (_host is not null)
        {
            using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(15));
            await _host.StopAsync(stop.Token);
            _host.Dispose();
        }
    }

    private static async Task<T> PollAsync<T>(Func<T?> probe, TimeSpan deadline, Func<bool> alive, string what, CancellationToken cancellationToken)
        where T : class
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            if (probe() is { } found)
            {
                return found;
            }

            if (!alive())
            {
                throw new InvalidOperationException($"the agent exited while waiting for {what}");
            }

            if (clock.Elapsed > deadline)
            {
                throw new TimeoutException($"no {what} within {deadline.TotalSeconds:N0} s");
            }

            await Task.Delay(TimeSpan.FromMilliseconds(100), cancellationToken);
        }
    }
}
