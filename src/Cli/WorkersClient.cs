using MassTransit;
using Workers.Contracts.Messages;
using Workers.Functions.Handlers;

namespace Workers.Cli;

/// <summary>What the CLI asks of the functions, over the bus or (<see cref="HttpWorkersClient"/>) a server's HTTP API.</summary>
internal interface IWorkersClient
{
    Task<Guid> DeployAsync(string specText, string source, CancellationToken cancellationToken);

    Task DeleteAsync(string name, CancellationToken cancellationToken);

    Task<DeploymentStatusReply> StatusAsync(string? name, Guid? deploymentId, CancellationToken cancellationToken);

    Task<HostKeysReply> ForgetHostAsync(string hostId, bool revoke, CancellationToken cancellationToken);

    Task<HostsReply> HostsAsync(CancellationToken cancellationToken);

    Task<History> HistoryAsync(string name, CancellationToken cancellationToken);

    Task<EventsReply> EventsAsync(string? name, long? after, DateTimeOffset? since, int limit, CancellationToken cancellationToken);

    Task<PlanReply> PlanAsync(string specText, string source, CancellationToken cancellationToken);

    /// <summary>Deploys an earlier revision's spec again; a <see cref="CliFailure"/> (exit 1) when there is none to roll back to.</summary>
    Task<RollbackRequested> RollbackAsync(string name, long? to, CancellationToken cancellationToken);

    Task<SecretReply> SetSecretAsync(string name, ReadOnlyMemory<byte> value, CancellationToken cancellationToken);

    Task<SecretsReply> ListSecretsAsync(CancellationToken cancellationToken);

    Task<SecretReply> DeleteSecretAsync(string name, CancellationToken cancellationToken);

    Task<ReplicaLogsReply> LogsAsync(string name, int? replica, int? tail, DateTimeOffset? since, string? after, string? containerId, CancellationToken cancellationToken);
}

/// <summary>A rollback requested: the new deployment id, and the revision whose spec it deploys again.</summary>
internal sealed record RollbackRequested(Guid DeploymentId, string Name, long Revision, string Image);

/// <summary>A deployment's revisions as the CLI shows them, newest first: the same over the bus, HTTP and the store.</summary>
internal sealed record History(string Name, IReadOnlyList<HistoryEntry> Revisions)
{
    public static History From(DeploymentHistoryReply reply) =>
        new(reply.Name, reply.Revisions.Select(r => new HistoryEntry(r.Revision, r.DeploymentId, r.State, r.Image, r.Reason, r.RequestedBy, r.UpdatedAt, r.Revision == reply.Current)).ToList());
}

/// <summary>One revision, in the shape of <c>workers history -o json</c> and <c>GET /api/deployments/{name}/history</c>.</summary>
internal sealed record HistoryEntry(long Revision, Guid DeploymentId, DeploymentState State, string Image, string? Reason, string RequestedBy, DateTimeOffset UpdatedAt, bool Current);

/// <summary>Polling shared by every client.</summary>
internal static class WorkersClientPolling
{
    /// <summary>How often a remote pipeline is asked: each poll is a round trip through the broker or the server.</summary>
    public static readonly TimeSpan RemoteInterval = TimeSpan.FromMilliseconds(250);

    /// <summary>
    /// How long the embedded pipeline is left at most between reads of the local store in this process; it is read
    /// sooner when it has handled a message.
    /// </summary>
    public static readonly TimeSpan EmbeddedInterval = TimeSpan.FromMilliseconds(50);

    /// <summary>
    /// How often the server <c>workers serve</c> runs on this machine is asked: the embedded pipeline in a process of its
    /// own, whose answer is a loopback round trip of a few milliseconds, as often as the embedded pipeline's store.
    /// </summary>
    public static readonly TimeSpan LocalServerInterval = EmbeddedInterval;

    /// <summary>
    /// Reads until <paramref name="done"/> holds for the status, calling <paramref name="progress"/> on each change; reads
    /// again when <paramref name="session"/> says (<see cref="IPipelineSession.NextPoll"/>).
    /// </summary>
    public static async Task<DeploymentStatusReply> WaitAsync(
        this IPipelineSession session,
        Func<Task<DeploymentStatusReply>> poll,
        Func<DeploymentStatusReply, bool> done,
        Func<DeploymentStatusReply, Task> progress,
        CancellationToken cancellationToken)
    {
        string? last = null;
        while (true)
        {
            var due = session.NextPoll(cancellationToken);
            var reply = await poll();
            var shape = Shape(reply);
            if (shape != last)
            {
                await progress(reply);
                last = shape;
            }

            if (done(reply))
            {
                return reply;
            }

            await due;
        }
    }

    /// <summary>What a change of progress is judged by: each deployment's state and progress, each replica's state, host and health.</summary>
    private static string Shape(DeploymentStatusReply reply) =>
        string.Join(
            '\n',
            reply.Deployments.Select(d => $"{d.State}|{d.Progress}|" + string.Join(';', d.Replicas.Select(r => $"{r.Index},{r.State},{r.HostId},{r.Health}"))));
}

/// <summary>What the CLI asks of the functions over a broker: MassTransit's (RabbitMQ or in memory), or Azure Service Bus.</summary>
internal sealed class WorkersClient(IWorkersTransport transport) : IWorkersClient
{
    public WorkersClient(IBus bus, TimeSpan requestTimeout)
        : this(new MassTransitTransport(bus, requestTimeout))
    {
    }

    public async Task<Guid> DeployAsync(string specText, string source, CancellationToken cancellationToken)
    {
        var id = Guid.NewGuid();
        await transport.PublishAsync(new DeploymentRequested(Guid.NewGuid(), id, DateTimeOffset.UtcNow, specText, source, RequestedBy()), cancellationToken);
        return id;
    }

    public async Task DeleteAsync(string name, CancellationToken cancellationToken) =>
        await transport.PublishAsync(new DeleteDeployment(Guid.NewGuid(), Guid.NewGuid(), DateTimeOffset.UtcNow, name, RequestedBy()), cancellationToken);

    public Task<DeploymentStatusReply> StatusAsync(string? name, Guid? deploymentId, CancellationToken cancellationToken) =>
        RequestAsync<GetDeploymentStatus, DeploymentStatusReply>(new GetDeploymentStatus(Guid.NewGuid(), deploymentId ?? Guid.NewGuid(), DateTimeOffset.UtcNow, name, deploymentId), cancellationToken);

    public Task<HostKeysReply> ForgetHostAsync(string hostId, bool revoke, CancellationToken cancellationToken) =>
        RequestAsync<ForgetHost, HostKeysReply>(new ForgetHost(Guid.NewGuid(), Guid.NewGuid(), DateTimeOffset.UtcNow, hostId, revoke, RequestedBy()), cancellationToken);

    public Task<HostsReply> HostsAsync(CancellationToken cancellationToken) =>
        RequestAsync<GetHosts, HostsReply>(new GetHosts(Guid.NewGuid(), Guid.NewGuid(), DateTimeOffset.UtcNow), cancellationToken);

    async Task<History> IWorkersClient.HistoryAsync(string name, CancellationToken cancellationToken) =>
        History.From(await HistoryAsync(name, cancellationToken));

    /// <summary>The whole reply, each revision's spec included (what a rollback deploys again).</summary>
    public Task<DeploymentHistoryReply> HistoryAsync(string name, CancellationToken cancellationToken) =>
        RequestAsync<GetDeploymentHistory, DeploymentHistoryReply>(new GetDeploymentHistory(Guid.NewGuid(), Guid.NewGuid(), DateTimeOffset.UtcNow, name), cancellationToken);

    public async Task<RollbackRequested> RollbackAsync(string name, long? to, CancellationToken cancellationToken)
    {
        var history = await HistoryAsync(name, cancellationToken);
        var (target, error) = Functions.Handlers.QueryHandler.RollbackTarget(history, to);
        if (target is null)
        {
            throw new CliFailure(ExitCodes.Failed, "rollback.refused", error!);
        }

        var id = await DeployAsync(Contracts.Spec.SpecWriter.ToJson(target.Spec), $"{history.Name}@{target.Revision}.json", cancellationToken);
        return new RollbackRequested(id, history.Name, target.Revision, target.Image);
    }

    public Task<EventsReply> EventsAsync(string? name, long? after, DateTimeOffset? since, int limit, CancellationToken cancellationToken) =>
        RequestAsync<GetEvents, EventsReply>(new GetEvents(Guid.NewGuid(), Guid.NewGuid(), DateTimeOffset.UtcNow, name, after, since, limit), cancellationToken);

    public Task<PlanReply> PlanAsync(string specText, string source, CancellationToken cancellationToken) =>
        RequestAsync<PlanDeployment, PlanReply>(new PlanDeployment(Guid.NewGuid(), Guid.NewGuid(), DateTimeOffset.UtcNow, specText, source), cancellationToken);

    /// <summary>
    /// Sets a secret without its value ever crossing the bus in clear: the functions are asked for their sealing key,
    /// and the value goes sealed to it, bound to the secret's name.
    /// </summary>
    public Task<ReplicaLogsReply> LogsAsync(string name, int? replica, int? tail, DateTimeOffset? since, string? after, string? containerId, CancellationToken cancellationToken) =>
        RequestAsync<GetReplicaLogs, ReplicaLogsReply>(new GetReplicaLogs(Guid.NewGuid(), Guid.NewGuid(), DateTimeOffset.UtcNow, name, replica, tail, since, after, containerId), cancellationToken);

    public async Task<SecretReply> SetSecretAsync(string name, ReadOnlyMemory<byte> value, CancellationToken cancellationToken)
    {
        var key = await RequestAsync<GetSealingKey, SealingKeyReply>(new GetSealingKey(Guid.NewGuid(), Guid.NewGuid(), DateTimeOffset.UtcNow), cancellationToken);
        var sealedValue = Security.SealingKey.Seal(key.PublicKey, value.Span, Security.SealingContexts.SetSecret(name));
        return await RequestAsync<SetSecret, SecretReply>(new SetSecret(Guid.NewGuid(), Guid.NewGuid(), DateTimeOffset.UtcNow, name, sealedValue, RequestedBy()), cancellationToken);
    }

    public Task<SecretsReply> ListSecretsAsync(CancellationToken cancellationToken) =>
        RequestAsync<ListSecrets, SecretsReply>(new ListSecrets(Guid.NewGuid(), Guid.NewGuid(), DateTimeOffset.UtcNow), cancellationToken);

    public Task<SecretReply> DeleteSecretAsync(string name, CancellationToken cancellationToken) =>
        RequestAsync<DeleteSecret, SecretReply>(new DeleteSecret(Guid.NewGuid(), Guid.NewGuid(), DateTimeOffset.UtcNow, name, RequestedBy()), cancellationToken);

    private Task<TReply> RequestAsync<TRequest, TReply>(TRequest request, CancellationToken cancellationToken)
        where TRequest : class
        where TReply : class => transport.RequestAsync<TRequest, TReply>(request, cancellationToken);

    private static string RequestedBy() => $"cli:{Environment.UserName}@{Environment.MachineName}";
}

/// <summary>How <see cref="WorkersClient"/> reaches the functions: a message published, or a request and its one reply.</summary>
internal interface IWorkersTransport
{
    Task PublishAsync(object message, CancellationToken cancellationToken);

    /// <exception cref="WorkersUnavailableException">No reply came within the request timeout.</exception>
    Task<TReply> RequestAsync<TRequest, TReply>(TRequest request, CancellationToken cancellationToken)
        where TRequest : class
        where TReply : class;
}

/// <summary>The functions on MassTransit's bus: publishes by the message's type, requests through a request client.</summary>
internal sealed class MassTransitTransport(IBus bus, TimeSpan requestTimeout) : IWorkersTransport
{
    public Task PublishAsync(object message, CancellationToken cancellationToken) => bus.Publish(message, message.GetType(), cancellationToken);

    public async Task<TReply> RequestAsync<TRequest, TReply>(TRequest request, CancellationToken cancellationToken)
        where TRequest : class
        where TReply : class
    {
        var client = bus.CreateRequestClient<TRequest>(RequestTimeout.After(ms: (int)requestTimeout.TotalMilliseconds));
        try
        {
            var response = await client.GetResponse<TReply>(request, cancellationToken);
            return response.Message;
        }
        catch (RequestTimeoutException e)
        {
            throw WorkersUnavailableException.NoAnswer(requestTimeout, e);
        }
    }
}

/// <summary>
/// The embedded default's transport: status and hosts answered by the functions' query handler in this process (what
/// the bus would hand the request to), everything else on the in-memory bus.
/// </summary>
internal sealed class InProcessTransport(IWorkersTransport bus, QueryHandler queries) : IWorkersTransport
{
    public Task PublishAsync(object message, CancellationToken cancellationToken) => bus.PublishAsync(message, cancellationToken);

    public async Task<TReply> RequestAsync<TRequest, TReply>(TRequest request, CancellationToken cancellationToken)
        where TRequest : class
        where TReply : class =>
        request switch
        {
            GetDeploymentStatus status when typeof(TReply) == typeof(DeploymentStatusReply) => (TReply)(object)await queries.HandleAsync(status, cancellationToken),
            GetHosts hosts when typeof(TReply) == typeof(HostsReply) => (TReply)(object)await queries.HandleAsync(hosts, cancellationToken),
            _ => await bus.RequestAsync<TRequest, TReply>(request, cancellationToken),
        };
}

/// <summary>The functions did not answer: the broker or the functions host is not there.</summary>
internal sealed class WorkersUnavailableException(string message, Exception? inner = null) : Exception(message, inner)
{
    public static WorkersUnavailableException NoAnswer(TimeSpan requestTimeout, Exception? inner = null) =>
        new($"no functions answered within {requestTimeout.TotalSeconds:0}s: is the functions host running against the same broker?", inner);
}
