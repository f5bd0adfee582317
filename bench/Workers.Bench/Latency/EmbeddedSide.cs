using Docker.DotNet;
using Workers.Cli;

namespace Workers.Bench.Latency;

/// <summary>
/// The CLI's embedded default, opened exactly as <c>workers deploy</c> opens it (<see cref="Connection"/>): functions
/// and one agent in this process on the in-memory bus, with a SQLite file (a fresh one here, and a host id of its own).
/// </summary>
internal sealed class EmbeddedSide(DockerClient docker, string runId, string workDirectory, SpanRecorder? spans) : ISide
{
    private readonly string _hostId = $"bench-{runId}-e";
    private Connection? _connection;
    private DeploymentObserver? _observer;
    private WorkersPipeline? _pipeline;

    public const string Title = "Workers embedded";

    public string Name => Title;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        // Connection reads these, as the CLI's process would from its environment.
        Environment.SetEnvironmentVariable("WORKERS_HOST_ID", _hostId);
        Environment.SetEnvironmentVariable("WORKERS_STORE", Path.Combine(workDirectory, "embedded.db"));
        _connection = await Connection.OpenAsync("memory", cancellationToken);
        _observer = await DeploymentObserver.ConnectAsync(_connection.Bus, cancellationToken);
        _pipeline = new WorkersPipeline(_connection.Bus, _observer, docker, _hostId, spans);
        await _pipeline.WaitForHostAsync(cancellationToken);
    }

    public Task<TimeSpan> DeployAsync(string name, int replicas, CancellationToken cancellationToken) =>
        _pipeline!.DeployAsync(name, replicas, cancellationToken);

    public Task CleanAsync(string name, CancellationToken cancellationToken) => _pipeline!.DeleteAsync(name, cancellationToken);

    public async ValueTask DisposeAsync()
    {
        if (_observer is not null)
        {
            await _observer.DisposeAsync();
        }

        if (_connection is not null)
        {
            await _connection.DisposeAsync();
        }

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await WorkersPipeline.RemoveLeftoversAsync(docker, _hostId, timeout.Token);
    }
}
