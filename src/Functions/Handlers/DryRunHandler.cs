using Microsoft.Extensions.Options;
using Workers.Contracts.Messages;
using Workers.Contracts.Spec;
using Workers.Functions.Planning;
using Workers.Functions.Store;

namespace Workers.Functions.Handlers;

/// <summary>Plan without doing: the same validation and placement as a deployment, answering instead of acting.</summary>
public sealed class DryRunHandler(IDeploymentStore store, ISecretStore secrets, TimeProvider time, IOptions<FunctionsOptions> options)
{
    public async Task<PlanReply> HandleAsync(PlanDeployment request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var now = time.GetUtcNow();
        var result = SpecParser.Parse(request.SpecText ?? string.Empty, request.Source ?? "request");
        if (!result.IsValid)
        {
            return new PlanReply(Guid.NewGuid(), request.CorrelationId, now, [], $"the spec is invalid: {result.Problems.Count} problem(s)", result.Problems);
        }

        if (await SecretChecks.MissingAsync(secrets, result, cancellationToken) is { Problems.Count: > 0 } missing)
        {
            return new PlanReply(Guid.NewGuid(), request.CorrelationId, now, [], $"the spec refers to secrets that do not exist: {string.Join(", ", missing.Names)}", missing.Problems);
        }

        var older = await store.GetLiveRevisionsAsync(result.Spec.Name.Value, cancellationToken);
        var olderIds = older.Select(r => r.DeploymentId).ToHashSet();
        var cluster = await ClusterView.ReadAsync(store, cancellationToken);
        var candidates = cluster.Candidates(now, options.Value.HostTimeout, Inventory.Replaceable(result.Spec, olderIds));
        var plan = Planner.Plan(result.Spec, candidates);
        if (plan.Succeeded && older.Count > 0)
        {
            // Replacing a running revision goes in waves: say so now if its first wave could never start.
            var outgoing = new List<ReplicaRecord>();
            foreach (var revision in older)
            {
                outgoing.AddRange(await store.GetReplicasAsync(revision.DeploymentId, cancellationToken));
            }

            var step = Rollouts.Step(result.Spec, Guid.Empty, 0, [], outgoing, cluster, now, options.Value.HostTimeout);
            if (step.Blocked is { } blocked)
            {
                return new PlanReply(Guid.NewGuid(), request.CorrelationId, now, [], blocked, []);
            }
        }

        return new PlanReply(Guid.NewGuid(), request.CorrelationId, now, plan.Placements, plan.Reason, []);
    }
}
