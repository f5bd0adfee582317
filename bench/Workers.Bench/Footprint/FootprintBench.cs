using System.Diagnostics;
using System.Globalization;
using Docker.DotNet;
using Docker.DotNet.Models;
using Workers.Contracts.Messages;
using Workers.Contracts.Spec;
using Workers.Functions.Planning;

namespace Workers.Bench.Footprint;

/// <summary>
/// The agent's footprint: one real agent process (the Release build of src/HostAgent) on RabbitMQ, idle for 60 s once
/// connected, then running 50 containers of the workload image; its resident memory and CPU read from <c>/proc</c>.
/// </summary>
/// <remarks>
/// The 50 replicas are planned by the functions' own <see cref="Planner"/> from the agent's heartbeat and sent as the
/// functions send them (one StartReplicas to the host's exchange), so only the agent runs besides the harness.
/// Settings, for comparing builds and runtime knobs: WORKERS_BENCH_AGENT (the agent to run: a dll, or the native
/// executable of an ahead-of-time publish, which scripts/bench.sh makes and measures),
/// WORKERS_BENCH_AGENT_ENV (extra <c>KEY=VALUE;KEY=VALUE</c> for the agent only), and the image names of
/// scripts/test-env.sh (WORKERS_TEST_RABBITMQ_IMAGE, WORKERS_TEST_WORKLOAD_IMAGE).
/// </remarks>
internal static class FootprintBench
{
    /// <summary>Each run takes over two minutes of windows alone, so the figure is over at most this many runs.</summary>
    public const int MaxRuns = 3;

    private const int Containers = 50;
    private const string BindAddress = "127.0.0.77";

    private static readonly TimeSpan WarmUp = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan WindowLength = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan Settle = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan HeartbeatInterval = TimeSpan.FromSeconds(5);

    public static async Task<IReadOnlyList<string>> RunAsync(int runs, CancellationToken cancellationToken = default)
    {
        runs = Math.Clamp(runs, 1, MaxRuns);
        var agentDll = ChildProcess.Agent();
        var rabbitImage = TestImages.RabbitMq;
        var workloadImage = TestImages.Workload;
        var logs = Directory.CreateDirectory(Path.Combine(Root(), "artifacts", "bench", "footprint")).FullName;
        using var docker = new DockerClientBuilder().Build();
        await RequireImageAsync(docker, workloadImage, cancellationToken);
        Progress($"starting RabbitMQ ({rabbitImage}); agent {agentDll}; logs in {logs}");
        await using var broker = await BenchBroker.StartAsync(docker, rabbitImage, cancellationToken);
        await using var observer = await BusObserver.StartAsync(broker.Broker, cancellationToken);
        var results = new List<RunResult>();
        for (var run = 1; run <= runs; run++)
        {
            var result = await OnceAsync(run, docker, broker, observer, agentDll, workloadImage, logs, cancellationToken);
            Progress($"run {run}/{runs}: {result}");
            results.Add(result);
        }

        return Report(results, workloadImage);
    }

    private static readonly Workers.Security.SigningKey ControlKey = Workers.Security.SigningKey.Generate();

    private static async Task<RunResult> OnceAsync(
        int run, DockerClient docker, BenchBroker broker, BusObserver observer, string agentDll, string workloadImage, string logs, CancellationToken cancellationToken)
    {
        var hostId = $"bench-fp-{run}-{Guid.NewGuid().ToString("N")[..6]}";
        var environment = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["WORKERS_BROKER"] = broker.Setting,
            ["WORKERS_HOST_ID"] = hostId,
            // No functions run here: the agent only needs a key to trust, and one of its own.
            ["WORKERS_CONTROL_KEYS"] = ControlKey.PublicKey.Base64,
            ["WORKERS_AGENT_KEY"] = Path.Combine(logs, $"{hostId}.key"),
            ["WORKERS_BIND_ADDRESS"] = BindAddress,
            ["WORKERS_HEARTBEAT_INTERVAL"] = $"{HeartbeatInterval.TotalSeconds}s",
            ["DOTNET_ENVIRONMENT"] = "Production",
            ["Logging__Console__FormatterName"] = "simple",
            ["Logging__Console__FormatterOptions__SingleLine"] = "true",
        };
        foreach (var pair in Setting("WORKERS_BENCH_AGENT_ENV", string.Empty).Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var parts = pair.Split('=', 2);
            environment[parts[0]] = parts.Length > 1 ? parts[1] : string.Empty;
        }

        var clock = Stopwatch.StartNew();
        var agent = ChildProcess.Start(agentDll, environment, Path.Combine(logs, $"{hostId}.log"));
        try
        {
            var first = await observer.WaitForHeartbeatAsync(hostId, _ => true, TimeSpan.FromSeconds(120), () => !agent.HasExited, cancellationToken);
            var connected = clock.Elapsed;
            await Task.Delay(WarmUp, cancellationToken);
            Progress($"run {run}: agent {hostId} (pid {agent.Id}) connected after {connected.TotalSeconds:N1} s; idle window of {WindowLength.TotalSeconds:N0} s");
            var idle = await Window.SampleAsync(agent.Id, WindowLength, cancellationToken);

            var spec = Spec(workloadImage);
            var deployment = Guid.NewGuid();
            var command = ControlKey.Sign(Command(deployment, hostId, spec, first));
            var starting = Stopwatch.StartNew();
            await observer.SendAsync(hostId, command, cancellationToken);
            await observer.WaitForStartedAsync(deployment, Containers, TimeSpan.FromMinutes(5), () => !agent.HasExited, cancellationToken);
            var started = starting.Elapsed;
            await observer.WaitForHeartbeatAsync(hostId, h => h.Replicas.Count(r => r.Running) >= Containers, TimeSpan.FromSeconds(60), () => !agent.HasExited, cancellationToken);
            await Task.Delay(Settle, cancellationToken);
            Progress($"run {run}: {Containers} containers running after {started.TotalSeconds:N1} s; managed window of {WindowLength.TotalSeconds:N0} s");
            var managed = await Window.SampleAsync(agent.Id, WindowLength, cancellationToken);
            return new RunResult(connected.TotalSeconds, idle, started.TotalSeconds, managed);
        }
        finally
        {
            await agent.DisposeAsync();
            await RemoveContainersAsync(docker, hostId);
        }
    }

    private static DeploymentSpec Spec(string image) =>
        SpecParser.Parse(
            $"name: footprint\nimage: {image}\nreplicas: {Containers}\nports:\n  - container: 8080\nresources: {{ cpu: 20m, memory: 32Mi }}\n",
            "footprint.yaml").Spec ?? throw new InvalidOperationException("the footprint spec is not valid");

    /// <summary>The command the functions would send, before they sign it: the planner's placements on this host, from its heartbeat.</summary>
    private static StartReplicas Command(Guid deployment, string hostId, DeploymentSpec spec, HostHeartbeat heartbeat)
    {
        var host = new HostCandidate(
            HostId.From(hostId),
            heartbeat.Labels,
            true,
            heartbeat.CpuFreeMillicores,
            heartbeat.MemoryFreeBytes,
            heartbeat.PortsInUse.Select(p => (p.Port, p.Protocol)).ToHashSet());
        var plan = Planner.Plan(spec, [host]);
        if (!plan.Succeeded)
        {
            throw new InvalidOperationException($"the footprint deployment cannot be planned: {plan.Reason}");
        }

        var now = DateTimeOffset.UtcNow;
        return new StartReplicas(Guid.NewGuid(), deployment, now, hostId, 1, now.AddMinutes(5), spec, [.. plan.Placements.Select(p => new ReplicaAssignment(p.Index, p.Ports))]);
    }

    private static async Task RemoveContainersAsync(DockerClient docker, string hostId)
    {
        var containers = await docker.Containers.ListContainersAsync(new ContainersListParameters
        {
            All = true,
            Filters = new Dictionary<string, IDictionary<string, bool>> { ["label"] = new Dictionary<string, bool> { [$"workers.host={hostId}"] = true } },
        });
        await Parallel.ForEachAsync(containers, new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (container, token) =>
            await docker.Containers.RemoveContainerAsync(container.ID, new ContainerRemoveParameters { Force = true }, token));
    }

    private static IReadOnlyList<string> Report(List<RunResult> results, string workloadImage)
    {
        var n = results.Count;
        return
        [
            $"## Agent footprint (one agent on RabbitMQ, idle, then managing {Containers} containers of {workloadImage})",
            $"The Release agent as its own process, heartbeat every {HeartbeatInterval.TotalSeconds:N0} s (the default). Idle: a {WindowLength.TotalSeconds:N0} s window from " +
            $"{WarmUp.TotalSeconds:N0} s after its first heartbeat. Managing: the {Containers} replicas planned from its heartbeat and sent as one StartReplicas, " +
            $"a {WindowLength.TotalSeconds:N0} s window from {Settle.TotalSeconds:N0} s after a heartbeat lists them all running. Memory: VmRSS, the peak of 1 s samples in the window " +
            $"(MB = 10^6 bytes); CPU: utime + stime over the window. Median (min–max) over {n} run{(n == 1 ? string.Empty : "s")} (at most {MaxRuns}: each run takes about three minutes).",
            string.Empty,
            "| figure | median (min–max) | target | met |",
            "|---|---:|---:|:---:|",
            Row("idle: resident memory, MB", results.Select(r => r.Idle.PeakRssMb), 50),
            Row("idle: of which anonymous (heaps, stacks), MB", results.Select(r => r.Idle.AnonRssMb), null),
            Row("idle: CPU, % of one core", results.Select(r => r.Idle.CpuPercent), 1),
            Row($"managing {Containers}: resident memory, MB", results.Select(r => r.Managed.PeakRssMb), null),
            Row("resident memory per managed container, MB", results.Select(r => (r.Managed.PeakRssMb - r.Idle.PeakRssMb) / Containers), 1),
            Row($"managing {Containers}: CPU, % of one core", results.Select(r => r.Managed.CpuPercent), null),
            Row("threads, idle → managing (max)", results.Select(r => (double)r.Idle.Threads), null, results.Select(r => (double)r.Managed.Threads)),
            Row("seconds from process start to first heartbeat", results.Select(r => r.ConnectSeconds), null),
            Row($"seconds to start {Containers} containers (one command)", results.Select(r => r.StartSeconds), null),
        ];
    }

    private static string Row(string figure, IEnumerable<double> values, double? under, IEnumerable<double>? then = null)
    {
        var (median, min, max) = Spread(values);
        var text = $"{F(median)} ({F(min)}–{F(max)})";
        if (then is not null)
        {
            var (median2, min2, max2) = Spread(then);
            text = $"{median:N0} → {median2:N0} ({min:N0}–{max:N0} → {min2:N0}–{max2:N0})";
        }

        var met = under is null ? string.Empty : max < under ? "yes" : median < under ? "median only" : "**no**";
        return $"| {figure} | {text} | {(under is null ? "—" : $"< {under}")} | {met} |";
    }

    private static (double Median, double Min, double Max) Spread(IEnumerable<double> values)
    {
        var sorted = values.Order().ToList();
        return (sorted[sorted.Count / 2], sorted[0], sorted[^1]);
    }

    private static string F(double value) => value.ToString(Math.Abs(value) >= 10 ? "N1" : "N2", CultureInfo.InvariantCulture);

    private static async Task RequireImageAsync(DockerClient docker, string image, CancellationToken cancellationToken)
    {
        try
        {
            await docker.Images.InspectImageAsync(image, cancellationToken);
        }
        catch (DockerApiException e) when (e.StatusCode == System.Net.HttpStatusCode.NotFound)
        {
            throw new InvalidOperationException($"the workload image {image} is missing: `source scripts/images.sh; workers_provide_workload_image` builds it", e);
        }
    }

    private static string Setting(string name, string fallback) =>
        Environment.GetEnvironmentVariable(name) is { Length: > 0 } value ? value : fallback;

    private static string Root()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Workers.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException("Workers.sln not found");
    }

    private static void Progress(string line) => Console.Error.WriteLine($"[footprint] {line}");

    private sealed record RunResult(double ConnectSeconds, Window Idle, double StartSeconds, Window Managed);
}
