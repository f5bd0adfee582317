using Microsoft.Extensions.Options;
using Workers.Contracts.Messages;
using Workers.Functions;
using Workers.Functions.Handlers;
using Workers.Functions.Store;

namespace Workers.Cli;

/// <summary>What the read-only commands ask: answered over the bus by the functions, or in the embedded default straight from the store.</summary>
internal interface IClusterReads
{
    /// <summary>True when the answer comes from the embedded default's store, with no agent running to refresh it.</summary>
    bool FromStore { get; }

    Task<DeploymentStatusReply> StatusAsync(string? name, CancellationToken cancellationToken);

    Task<HostsReply> HostsAsync(CancellationToken cancellationToken);

    Task<History> HistoryAsync(string name, CancellationToken cancellationToken);

    Task<EventsReply> EventsAsync(string? name, long? after, DateTimeOffset? since, int limit, CancellationToken cancellationToken);
}

/// <summary>Each read is one request to the functions, over the bus or HTTP: one round trip.</summary>
internal sealed class ClientReads(IWorkersClient client) : IClusterReads
{
    public bool FromStore => false;

    public Task<DeploymentStatusReply> StatusAsync(string? name, CancellationToken cancellationToken) => client.StatusAsync(name, null, cancellationToken);

    public Task<HostsReply> HostsAsync(CancellationToken cancellationToken) => client.HostsAsync(cancellationToken);

    public Task<History> HistoryAsync(string name, CancellationToken cancellationToken) => client.HistoryAsync(name, cancellationToken);

    public Task<EventsReply> EventsAsync(string? name, long? after, DateTimeOffset? since, int limit, CancellationToken cancellationToken) =>
        client.EventsAsync(name, after, since, limit, cancellationToken);
}

/// <summary>
/// The embedded default's reads: the functions' own query handler over the SQLite file (or WORKERS_STORE), with
/// neither the bus, the pipeline nor an agent started, so that <c>workers status</c> costs about what opening a file
/// does. The answer is what the store last heard: hosts show their last heartbeat and its age.
/// </summary>
internal sealed class StoreReads : IClusterReads
{
    private readonly QueryHandler _queries;

    private StoreReads(QueryHandler queries) => _queries = queries;

    public bool FromStore => true;

    public static async Task<StoreReads> OpenAsync(CancellationToken cancellationToken)
    {
        var store = new SqlDeploymentStore(StoreSettings.Dialect(Environment.GetEnvironmentVariable("WORKERS_STORE"), StoreSettings.DefaultSqlitePath()));

        // A first run finds no file: the schema makes an empty store read as one.
        await store.MigrateAsync(cancellationToken);
        return new StoreReads(new QueryHandler(store, TimeProvider.System, Options.Create(new FunctionsOptions())));
    }

    public Task<DeploymentStatusReply> StatusAsync(string? name, CancellationToken cancellationToken) =>
        _queries.HandleAsync(new GetDeploymentStatus(Guid.NewGuid(), Guid.NewGuid(), DateTimeOffset.UtcNow, name, null), cancellationToken);

    public Task<HostsReply> HostsAsync(CancellationToken cancellationToken) =>
        _queries.HandleAsync(new GetHosts(Guid.NewGuid(), Guid.NewGuid(), DateTimeOffset.UtcNow), cancellationToken);

    public async Task<History> HistoryAsync(string name, CancellationToken cancellationToken) =>
        History.From(await _queries.HandleAsync(new GetDeploymentHistory(Guid.NewGuid(), Guid.NewGuid(), DateTimeOffset.UtcNow, name), cancellationToken));

    public Task<EventsReply> EventsAsync(string? name, long? after, DateTimeOffset? since, int limit, CancellationToken cancellationToken) =>
        _queries.HandleAsync(new GetEvents(Guid.NewGuid(), Guid.NewGuid(), DateTimeOffset.UtcNow, name, after, since, limit), cancellationToken);
}
