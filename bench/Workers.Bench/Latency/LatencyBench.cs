using Docker.DotNet;

namespace Workers.Bench.Latency;

/// <summary>
/// Issue 6, figure 1: deploy latency against the floor. The same workload, 1 and 10 replicas with a published port,
/// four ways in one run: the Docker Engine API directly (the floor), Docker Swarm, Workers' embedded default, and
/// Workers over RabbitMQ with the functions host and an agent as their own processes. Every round runs each side in
/// turn (the order rotating from round to round, so that drift and position hit all alike), each on a clean engine:
/// what a side started is removed, and checked gone by label, before the next side starts.
/// </summary>
internal static class LatencyBench
{
    private static readonly int[] ReplicaCounts = [1, 10];

    /// <summary>
    /// Rounds the full run (scripts/bench.sh) gives this figure at least: its "p99" is the slowest round, and the slowest
    /// of 3 (the bench's usual --runs) said little about the tail.
    /// </summary>
    public const int MinRounds = 20;

    /// <summary>Why <c>--sides</c> cannot be measured (a word that names no side), or null: a misspelt side would be measured by nothing, silently.</summary>
    public static string? SidesProblem(IReadOnlyCollection<string> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        string[] titles = options.Contains("--trace")
            ? [FloorSide.Title, SwarmSide.Title, EmbeddedSide.Title, RabbitMqSide.Title, AgentRuntimeSide.Title]
            : [FloorSide.Title, SwarmSide.Title, EmbeddedSide.Title, RabbitMqSide.Title];
        return Only(options)?.FirstOrDefault(o => !titles.Any(t => t.Contains(o, StringComparison.OrdinalIgnoreCase))) is { } unmatched
            ? $"latency: --sides '{unmatched}' names no side; the sides are {string.Join(", ", titles)}"
            : null;
    }

    private static string[]? Only(IReadOnlyCollection<string> options) => options.SkipWhile(o => o != "--sides").Skip(1).FirstOrDefault()?.Split(',');

    /// <param name="runs">Rounds counted, after one warm-up round.</param>
    /// <param name="options">
    /// <c>--trace</c>: for each Workers deployment, when each event reached the client, the consumers it went through,
    /// and the split before / in / after the agent's start command; adds the agent's runtime alone as a diagnostic side
    /// and keeps the processes' logs. <c>--sides a,b</c>: only the sides whose heading contains one of the words
    /// (floor, swarm, embedded, rabbitmq, runtime), for diagnosis.
    /// </param>
    public static async Task<IReadOnlyList<string>> RunAsync(int runs, IReadOnlyCollection<string> options)
    {
        var tracing = options.Contains("--trace");
        var only = Only(options);
        using var cancel = new CancellationTokenSource();
        ConsoleCancelEventHandler onCancel = (_, e) =>
        {
            // Stop measuring, but still clean up: leave the swarm, remove containers and processes.
            e.Cancel = true;
            cancel.Cancel();
        };
        Console.CancelKeyPress += onCancel;
        var runId = Guid.NewGuid().ToString("N")[..6];
        var work = Directory.CreateDirectory(Path.Combine(Path.GetTempPath(), $"workers-bench-latency-{runId}")).FullName;
        using var spans = tracing ? new SpanRecorder() : null;
        using var docker = new DockerClientBuilder().Build();
        List<ISide> sides = [new FloorSide(docker, runId), new SwarmSide(docker, runId), new EmbeddedSide(docker, runId, work, spans), new RabbitMqSide(docker, runId, work, spans)];
        if (spans is not null)
        {
            sides.Add(new AgentRuntimeSide(docker, runId));
        }

        sides = [.. sides.Where(s => only is null || only.Any(o => s.Name.Contains(o, StringComparison.OrdinalIgnoreCase)))];
        var samples = sides.ToDictionary(s => s, _ => ReplicaCounts.ToDictionary(n => n, _ => new Samples()));
        var failures = new List<string>();
        var clean = false;
        try
        {
            foreach (var side in sides)
            {
                Progress($"starting {side.Name}");
                await side.StartAsync(cancel.Token);
            }

            // Round 0 warms up every side (JIT, connections, first queue declarations) and is not counted.
            for (var round = 0; round <= runs; round++)
            {
                foreach (var replicas in ReplicaCounts)
                {
                    for (var turn = 0; turn < sides.Count; turn++)
                    {
                        var side = sides[(round + turn) % sides.Count];
                        var name = $"lat-{runId}-{round}-{replicas}-{turn}";
                        try
                        {
                            var elapsed = await side.DeployAsync(name, replicas, cancel.Token);
                            Progress($"round {round}, {replicas} replica(s), {side.Name}: {elapsed.TotalMilliseconds:0} ms");
                            if (round > 0)
                            {
                                samples[side][replicas].Add(elapsed);
                            }
                        }
                        catch (Exception e) when (e is not OperationCanceledException || !cancel.IsCancellationRequested)
                        {
                            failures.Add($"round {round}, {replicas} replica(s), {side.Name}: {e.Message}");
                            Progress(failures[^1]);
                        }
                        finally
                        {
                            await CleanAsync(side, name, failures, cancel.Token);
                        }
                    }
                }
            }

            // With --trace the Workers processes' logs are kept, to line up with the trace.
            clean = failures.Count == 0 && spans is null;
        }
        finally
        {
            Console.CancelKeyPress -= onCancel;
            foreach (var side in Enumerable.Reverse(sides))
            {
                try
                {
                    await side.DisposeAsync();
                }
                catch (Exception e)
                {
                    Progress($"cleaning up {side.Name} failed: {e.Message}");
                    clean = false;
                }
            }

            if (clean)
            {
                Directory.Delete(work, recursive: true);
            }
            else
            {
                Progress($"logs of the Workers processes kept in {work}");
            }
        }

        return Table(runs, sides, samples, failures);
    }

    private static List<string> Table(int runs, List<ISide> sides, Dictionary<ISide, Dictionary<int, Samples>> samples, List<string> failures)
    {
        var lines = new List<string>
        {
            $"## Deploy latency against the floor ({Workload.Image}, port {Workload.ContainerPort} published per replica)",
            $"Seconds from the request until every replica runs: median / p99 (min–max) over {runs} rounds after one warm-up round (p99 is the slowest run below 100 rounds); ratios median / p99, all measured in the same run, sides alternating.",
            "Floor: create + start through the Engine API, all replicas at once. Swarm: single-node swarm, service create until every task runs (host-mode port). Workers: DeploymentRequested published until DeploymentSucceeded reaches the client.",
            string.Empty,
            "| replicas | floor (Engine API) | Swarm | Workers embedded | Workers RabbitMQ + agent process | embedded / floor | embedded / Swarm | RabbitMQ / floor | RabbitMQ / Swarm |",
            "|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
        };
        foreach (var n in ReplicaCounts)
        {
            var (f, s, e, r) = (Of<FloorSide>(n), Of<SwarmSide>(n), Of<EmbeddedSide>(n), Of<RabbitMqSide>(n));
            lines.Add($"| {n} | {f.Cell()} | {s.Cell()} | {e.Cell()} | {r.Cell()} | {e.RatioCell(f)} | {e.RatioCell(s)} | {r.RatioCell(f)} | {r.RatioCell(s)} |");
        }

        lines.Add(string.Empty);
        lines.Add($"Added over the floor at the median, 1 replica (target at most +50 ms): embedded {Of<EmbeddedSide>(1).AddedCell(Of<FloorSide>(1))}, RabbitMQ {Of<RabbitMqSide>(1).AddedCell(Of<FloorSide>(1))}. "
            + "Targets at 10 replicas: Workers / floor at most 1.10 (median) and 1.25 (p99); Workers / Swarm below 1.");
        if (sides.OfType<AgentRuntimeSide>().Any())
        {
            lines.Add("Diagnostic, the agent's Docker runtime alone (EnsureRunningAsync for every replica at once): "
                + string.Join("; ", ReplicaCounts.Select(n => $"{n} replica(s) {Of<AgentRuntimeSide>(n).Cell()}, / floor {Of<AgentRuntimeSide>(n).RatioCell(Of<FloorSide>(n))}")));
        }

        lines.AddRange(failures.Select(f => $"- failed: {f}"));
        return lines;

        Samples Of<TSide>(int n) => sides.OfType<TSide>().FirstOrDefault() is ISide side ? samples[side][n] : new Samples();
    }

    /// <summary>A failed cleanup is recorded and the run goes on: every round uses names of its own.</summary>
    private static async Task CleanAsync(ISide side, string name, List<string> failures, CancellationToken cancellationToken)
    {
        try
        {
            await side.CleanAsync(name, cancellationToken);
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested)
        {
            failures.Add($"cleaning up {name} of {side.Name}: {e.Message}");
            Progress(failures[^1]);
        }
    }

    private static void Progress(string line) => Console.Error.WriteLine($"latency: {line}");
}
