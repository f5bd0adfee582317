using System.Globalization;
using System.Text.RegularExpressions;
using Docker.DotNet;
using Docker.DotNet.Models;
using Workers.Contracts.Messages;
using Workers.Functions.Store;

namespace Workers.FaultInjection.Tests;

/// <summary>What the scenario asked for: every deployment request published, by id, and the names it deleted.</summary>
internal sealed record ScenarioRecord(IReadOnlyDictionary<Guid, string> Requests, IReadOnlySet<string> Deleted);

/// <summary>The counters of the summary line, and a line per problem behind them.</summary>
internal sealed record AuditResult(int Lost, int Duplicates, int Orphans, int PortConflicts, IReadOnlyList<string> Problems, string States)
{
    public bool Clean => Lost == 0 && Duplicates == 0 && Orphans == 0 && PortConflicts == 0;
}

/// <summary>
/// Compares what the store says with what Docker itself runs for the three hosts: every request settled, a Running
/// deployment's current revision runs exactly its desired replicas, nothing runs twice, nothing runs that nobody
/// wants, and no (address, port, protocol) is bound twice.
/// </summary>
internal static partial class ClusterAudit
{
    private static readonly DeploymentState[] Final = [DeploymentState.Running, DeploymentState.Failed, DeploymentState.Rejected, DeploymentState.Superseded, DeploymentState.RolledBack];

    public static async Task<AuditResult> RunAsync(DockerClient docker, IDeploymentStore store, IReadOnlyList<string> hostIds, ScenarioRecord scenario, CancellationToken cancellationToken)
    {
        var problems = new List<string>();
        int lost = 0, duplicates = 0, orphans = 0, conflicts = 0;
        var all = await docker.Containers.ListContainersAsync(new ContainersListParameters { All = true }, cancellationToken);
        var ours = all.Where(c => c.Labels is not null && c.Labels.TryGetValue("workers.host", out var host) && hostIds.Contains(host)).ToList();
        var running = ours.Where(c => c.State == "running").ToList();

        // Containers named like replicas of these hosts that carry no Workers labels: nobody could ever find them.
        var unlabelled = all.Where(c => !ours.Contains(c) && c.Names.Any(n => ReplicaName().Match(n) is { Success: true } m && hostIds.Contains(m.Groups["host"].Value))).ToList();
        foreach (var container in unlabelled)
        {
            orphans++;
            problems.Add($"orphan: unlabelled container {string.Join(",", container.Names)} ({container.State})");
        }

        // Every request reached a final state, or its name was deleted and is gone.
        var current = (await store.GetCurrentRevisionsAsync(null, cancellationToken)).ToDictionary(r => r.Name ?? string.Empty, StringComparer.Ordinal);
        var states = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var (id, name) in scenario.Requests)
        {
            var revision = await store.GetRevisionAsync(id, cancellationToken);
            var deleted = scenario.Deleted.Contains(name);
            var state = revision is null ? "missing" : deleted ? (current.ContainsKey(name) ? $"deleting-{revision.State}" : "deleted") : revision.State.ToString();
            states[state] = states.GetValueOrDefault(state) + 1;
            if (revision is null || (deleted ? current.ContainsKey(name) : !Final.Contains(revision.State)))
            {
                lost++;
                var replicas = revision is null ? [] : await store.GetReplicasAsync(revision.DeploymentId, cancellationToken);
                var detail = string.Join(", ", replicas.Select(r => $"#{r.Index} {r.State}{(r.Health is { } h ? "/" + h : string.Empty)} on {r.HostId}"));
                problems.Add($"lost: request {id} for {name} is {state} (r{revision?.Revision}; current r{(current.TryGetValue(name, out var now) ? now.Revision : 0)}; replicas: {detail}; {revision?.Reason})");
            }
            else if (revision is { State: DeploymentState.Failed or DeploymentState.RolledBack } && !deleted)
            {
                problems.Add($"note: request {id} for {name} ended {revision.State}: {revision.Reason}");
            }
        }

        // A Running deployment runs exactly its desired replicas of its current revision, in Docker and in the store.
        foreach (var revision in current.Values.Where(r => r.State == DeploymentState.Running && r.Spec is not null))
        {
            var desired = revision.Spec!.Replicas;
            var inDocker = running.Count(c => Label(c, "workers.deployment") == revision.Name && Label(c, "workers.revision") == Number(revision.Revision));
            var inStore = (await store.GetReplicasAsync(revision.DeploymentId, cancellationToken)).Count(r => r.State == ReplicaState.Running);
            if (Math.Min(inDocker, inStore) < desired)
            {
                lost += desired - Math.Min(inDocker, inStore);
                problems.Add($"lost: {revision.Name} r{revision.Revision} wants {desired} replicas, Docker runs {inDocker}, the store has {inStore} running");
            }

            if (Math.Max(inDocker, inStore) > desired)
            {
                duplicates += Math.Max(inDocker, inStore) - desired;
                problems.Add($"duplicate: {revision.Name} r{revision.Revision} wants {desired} replicas, Docker runs {inDocker}, the store has {inStore} running");
            }
        }

        foreach (var twice in running.GroupBy(c => (Label(c, "workers.deployment"), Label(c, "workers.revision"), Label(c, "workers.replica"))).Where(g => g.Count() > 1))
        {
            duplicates += twice.Count() - 1;
            problems.Add($"duplicate: replica {twice.Key} runs {twice.Count()} times ({string.Join(", ", twice.Select(c => c.Names[0]))})");
        }

        // Every Workers container belongs to a replica the store has running, of a revision that should run.
        var revisions = new Dictionary<Guid, (RevisionRecord? Revision, IReadOnlyList<ReplicaRecord> Replicas)>();
        foreach (var container in ours)
        {
            var why = await UnwantedAsync(container);
            if (why is not null)
            {
                orphans++;
                problems.Add($"orphan: {container.Names[0]} ({container.State}): {why}");
            }
        }

        // Docker's own port bindings: no (address, host port, protocol) twice, on any running container.
        foreach (var bound in all.Where(c => c.State == "running")
                     .SelectMany(c => (c.Ports ?? []).Where(p => p.PublicPort != 0).Select(p => (Key: (p.IP, p.PublicPort, p.Type), Name: c.Names[0])))
                     .DistinctBy(b => (b.Key, b.Name))
                     .GroupBy(b => b.Key)
                     .Where(g => g.Count() > 1))
        {
            conflicts += bound.Count() - 1;
            problems.Add($"port conflict: {bound.Key.IP}:{bound.Key.PublicPort}/{bound.Key.Type} bound by {string.Join(", ", bound.Select(b => b.Name))}");
        }

        var summary = string.Join(" ", states.OrderBy(s => s.Key, StringComparer.Ordinal).Select(s => $"{s.Key}={s.Value}"));
        return new AuditResult(lost, duplicates, orphans, conflicts, problems, summary);

        async Task<string?> UnwantedAsync(ContainerListResponse container)
        {
            var name = Label(container, "workers.deployment");
            if (container.State != "running")
            {
                return "not running";
            }

            if (scenario.Deleted.Contains(name))
            {
                return "its deployment was deleted";
            }

            if (!Guid.TryParse(Label(container, "workers.deployment-id"), out var id))
            {
                return "no deployment id label";
            }

            if (!revisions.TryGetValue(id, out var known))
            {
                var record = await store.GetRevisionAsync(id, cancellationToken);
                known = revisions[id] = (record, record is null ? [] : await store.GetReplicasAsync(id, cancellationToken));
            }

            if (known.Revision is not { State: DeploymentState.Running } revision)
            {
                return $"its revision is {known.Revision?.State.ToString() ?? "unknown"}";
            }

            var index = Label(container, "workers.replica");
            if (known.Replicas.FirstOrDefault(r => Number(r.Index) == index) is not { State: ReplicaState.Running } replica)
            {
                return $"the store has replica {index} {known.Replicas.FirstOrDefault(r => Number(r.Index) == index)?.State.ToString() ?? "unknown"}";
            }

            if (replica.HostId != Label(container, "workers.host"))
            {
                return $"the store has replica {index} on {replica.HostId}";
            }

            // An older revision may keep running only while the current one does not (it failed, say).
            return current.TryGetValue(name, out var now) && now.DeploymentId != revision.DeploymentId && now.State == DeploymentState.Running
                ? $"revision {revision.Revision} runs beside the current running revision {now.Revision}"
                : null;
        }
    }

    private static string Label(ContainerListResponse container, string key) =>
        container.Labels is not null && container.Labels.TryGetValue(key, out var value) ? value : string.Empty;

    private static string Number(long value) => value.ToString(CultureInfo.InvariantCulture);

    [GeneratedRegex(@"^/[a-z][a-z0-9-]*-r\d+-\d+\.(?<host>[a-z0-9.-]+)$")]
    private static partial Regex ReplicaName();
}
