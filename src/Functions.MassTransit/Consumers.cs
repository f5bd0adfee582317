using MassTransit;
using Workers.Contracts.Messages;
using Workers.Functions.Handlers;
using Workers.Telemetry;

namespace Workers.Functions.Bus;

// Thin MassTransit adapters: each hands its message to a handler and carries out what the handler returns, inside a
// span and a workers.handler.duration measurement named for the handler (Measured).

public sealed class ValidateConsumer(ValidateHandler handler) : IConsumer<DeploymentRequested>
{
    public Task Consume(ConsumeContext<DeploymentRequested> context) =>
        Measured.RunAsync("validate", async () => await context.ApplyAsync(await handler.HandleAsync(context.Message, context.CancellationToken)));
}

/// <summary>Plans what has queued up in one pass (see <see cref="FunctionsRegistration"/> for the batch's size).</summary>
public sealed class PlanConsumer(PlanHandler handler) : IConsumer<Batch<DeploymentAccepted>>
{
    public Task Consume(ConsumeContext<Batch<DeploymentAccepted>> context) =>
        Measured.RunAsync("plan", async () => await context.ApplyAsync(await handler.HandleAsync([.. context.Message.Select(m => m.Message)], context.CancellationToken)));
}

/// <summary>Agents' results, each through <see cref="AgentSenders"/> first.</summary>
public sealed class TrackConsumer(AgentSenders senders, TrackHandler handler) : IConsumer<ReplicaFailed>, IConsumer<ReplicaStopped>
{
    public Task Consume(ConsumeContext<ReplicaFailed> context) =>
        Measured.RunAsync("track", async () => await context.ApplyAsync(await senders.AcceptAsync(context.Message, handler.HandleAsync, context.CancellationToken)));

    public Task Consume(ConsumeContext<ReplicaStopped> context) =>
        Measured.RunAsync("track", async () => await context.ApplyAsync(await senders.AcceptAsync(context.Message, handler.HandleAsync, context.CancellationToken)));
}

/// <summary>
/// The two results every replica sends, started and healthy, taken in batches of what has queued up (see
/// <see cref="FunctionsRegistration"/>): a deployment's replicas usually report together, and are tracked together.
/// </summary>
public sealed class TrackStartedConsumer(AgentSenders senders, TrackHandler handler) : IConsumer<Batch<ReplicaStarted>>
{
    public Task Consume(ConsumeContext<Batch<ReplicaStarted>> context) =>
        Measured.RunAsync("track", async () => await context.ApplyAsync(await senders.AcceptAsync([.. context.Message.Select(m => m.Message)], handler.HandleAsync, context.CancellationToken)));
}

/// <inheritdoc cref="TrackStartedConsumer"/>
public sealed class TrackHealthConsumer(AgentSenders senders, TrackHandler handler) : IConsumer<Batch<ReplicaHealthChanged>>
{
    public Task Consume(ConsumeContext<Batch<ReplicaHealthChanged>> context) =>
        Measured.RunAsync("track", async () => await context.ApplyAsync(await senders.AcceptAsync([.. context.Message.Select(m => m.Message)], handler.HandleAsync, context.CancellationToken)));
}

public sealed class InventoryConsumer(AgentSenders senders, InventoryHandler handler) : IConsumer<HostHeartbeat>
{
    public Task Consume(ConsumeContext<HostHeartbeat> context) =>
        Measured.RunAsync("inventory", async () => await context.ApplyAsync(await senders.AcceptAsync(context.Message, handler.HandleAsync, context.CancellationToken)));
}

public sealed class DeleteConsumer(DeleteHandler handler) : IConsumer<DeleteDeployment>
{
    public Task Consume(ConsumeContext<DeleteDeployment> context) =>
        Measured.RunAsync("delete", async () => await context.ApplyAsync(await handler.HandleAsync(context.Message, context.CancellationToken)));
}

public sealed class QueryConsumer(QueryHandler queries, DryRunHandler dryRun) : IConsumer<GetDeploymentStatus>, IConsumer<GetHosts>, IConsumer<PlanDeployment>, IConsumer<GetDeploymentHistory>, IConsumer<GetEvents>
{
    public async Task Consume(ConsumeContext<GetEvents> context) =>
        await context.RespondAsync(await queries.HandleAsync(context.Message, context.CancellationToken));

    public async Task Consume(ConsumeContext<GetDeploymentHistory> context) =>
        await context.RespondAsync(await queries.HandleAsync(context.Message, context.CancellationToken));

    public async Task Consume(ConsumeContext<GetDeploymentStatus> context) =>
        await context.RespondAsync(await queries.HandleAsync(context.Message, context.CancellationToken));

    public async Task Consume(ConsumeContext<GetHosts> context) =>
        await context.RespondAsync(await queries.HandleAsync(context.Message, context.CancellationToken));

    public async Task Consume(ConsumeContext<PlanDeployment> context) =>
        await context.RespondAsync(await dryRun.HandleAsync(context.Message, context.CancellationToken));
}
