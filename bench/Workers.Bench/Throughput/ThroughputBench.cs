using System.Globalization;

namespace Workers.Bench.Throughput;

/// <summary>
/// Control-plane throughput (issue 6, figure 2): simulated hosts whose container driver acknowledges at once, many
/// deployments through validate, plan, fan-out and track on RabbitMQ with the PostgreSQL store, in replicas per
/// second from the first request to the last success; beside it, per round, the raw broker's rate for the same
/// messages and hops with RabbitMQ.Client alone; then a traced round that says where Workers' time goes.
/// </summary>
internal static class ThroughputBench
{
    /// <summary>
    /// The prefetch (and so the in-flight limit) MassTransit 8.5 gives each function endpoint, as
    /// <c>rabbitmqctl list_consumers queue_name prefetch_count</c> shows during a run; the agent's queue has the same
    /// prefetch but takes one message at a time.
    /// </summary>
    private const int MassTransitPrefetch = 16;

    private const int GenerousConcurrency = 64;

    public static async Task<IReadOnlyList<string>> RunAsync(ThroughputOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);

        // MassTransit 8.5 reports usage to its vendor's server after a bus starts; this machine reaches no such server.
        Environment.SetEnvironmentVariable("MASSTRANSIT_USAGE_TELEMETRY", "false");
        using var cancel = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            cancel.Cancel();
        };
        var token = cancel.Token;
        Log($"{options.Describe()}; {options.Runs} round(s){(options.Profile ? " and a traced round" : string.Empty)}");

        await using var infrastructure = await BenchInfrastructure.StartAsync(token);
        Log($"broker {infrastructure.Broker}, PostgreSQL up; starting {options.Hosts} simulated hosts");
        await using var workers = await WorkersSide.StartAsync(infrastructure, options, token);
        Log($"simulated hosts read their queues after {workers.HostsStartSeconds:N1} s");

        var warm = await workers.WarmUpAsync(token);
        Log($"warm-up round (untimed): {warm.Succeeded} of {options.WarmUpDeployments} deployments succeeded in {warm.Seconds:N2} s");

        int[] levels = [MassTransitPrefetch, GenerousConcurrency];
        var rounds = new List<Round>();
        for (var round = 1; round <= options.Runs; round++)
        {
            var result = await workers.RunAsync(round, token);
            Log($"round {round}: Workers {result.Seconds:N2} s, {result.Replicas(options.Replicas) / result.Seconds:N0} replicas/s, {result.Failures.Count} failed, {result.StartCommands} start commands to {result.HostsUsed.Count} hosts");
            var shape = Shape(options, result);
            var bodies = RawBodies.Make(options.SpecText("tp-1-00000"), Math.Max(1, options.Replicas / shape.CommandsPerDeployment), options.TotalReplicas / Math.Max(1, shape.HostsUsed.Count) / 2);
            var raw = new List<RawResult>();
            foreach (var level in levels)
            {
                var rawResult = await RawBrokerSide.RunAsync(infrastructure.Amqp, shape with { StageConcurrency = level }, bodies, token);
                Log($"round {round}: raw broker ({level} in flight per stage) {rawResult.Seconds:N2} s, {rawResult.ReplicasPerSecond:N0} replicas/s, {rawResult.MessagesPerSecond:N0} messages/s");
                raw.Add(rawResult);
            }

            rounds.Add(new Round(result, raw));

            // Each round's table so far, on standard error: a later failure cannot lose what was measured.
            foreach (var line in Report.Lines(options, levels, rounds, null, null, workers.HostsStartSeconds))
            {
                await Console.Error.WriteLineAsync("[throughput report] " + line);
            }
        }

        WorkersResult? traced = null;
        ActivityProfile? profile = null;
        if (options.Profile)
        {
            profile = new ActivityProfile();
            traced = await workers.RunAsync(options.Runs + 1, token);
            profile.Dispose();
            Log($"traced round: Workers {traced.Seconds:N2} s");
        }

        return Report.Lines(options, levels, rounds, traced, profile, workers.HostsStartSeconds);
    }

    private static RawShape Shape(ThroughputOptions options, WorkersResult result)
    {
        var used = result.HostsUsed.Count > 0 ? result.HostsUsed : ["host-0000"];
        var commands = (int)Math.Max(1, Math.Round((double)result.StartCommands / Math.Max(1, result.Succeeded + result.Failures.Count)));
        return new RawShape(options.Deployments, options.Replicas, commands, used, options.Hosts, options.Hosts / options.HeartbeatInterval.TotalSeconds, MassTransitPrefetch, options.RawThroughExchanges);
    }

    private static void Log(string message) =>
        Console.Error.WriteLine($"[throughput {DateTime.Now.ToString("HH:mm:ss", CultureInfo.InvariantCulture)}] {message}");

    internal sealed record Round(WorkersResult Workers, IReadOnlyList<RawResult> Raw);
}
