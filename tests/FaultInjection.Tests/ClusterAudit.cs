using System.Globalization;
using System.Text.RegularExpressions;
using Docker.DotNet;
using Docker.DotNet.Models;
using Workers.Contracts.Messages;
using Workers.Contracts.Spec;
using Workers.Functions.Store;

namespace Workers.FaultInjection.Tests;

/// <summary>One deployment request as the test made it: the name, replica count and image it asked for.</summary>
internal sealed record ScenarioRequest(Guid Id, string Name, int Replicas, string Image);

/// <summary>What a test asked for: every deployment request published, in the order published, and the names it deleted.</summary>
internal sealed record ScenarioRecord(IReadOnlyList<ScenarioRequest> Requests, IReadOnlySet<string> Deleted)
{
    public static ScenarioRecord Empty { get; } = new([], new HashSet<string>(StringComparer.Ordinal));
}

/// <summary>
/// What the test saw besides Docker and the store: every <see cref="ReplicaFailed"/> the agents published (a copy from
/// a queue of the test's own) and the host ports processes outside Workers hold (address and port, TCP).
/// </summary>
internal sealed record Observations(IReadOnlyCollection<ReplicaFailed> Failures, IReadOnlyCollection<(string Address, int Port)> HeldOutside)
{
    public static Observations None { get; } = new([], []);
}

/// <summary>
/// The counters of the summary line and a line per problem behind them. <see cref="Failed"/> and
/// <see cref="Rejected"/> list the names whose newest request ended failed, rolled back or rejected, with the reason:
/// settled, but judged against a cap by the caller.
/// </summary>
internal sealed record AuditResult(int Lost, int Duplicates, int Orphans, int PortConflicts, int RefusedBinds, IReadOnlyList<string> Failed, IReadOnlyList<string> Rejected, IReadOnlyList<string> Problems, string States)
{
    public bool Clean => Lost == 0 && Duplicates == 0 && Orphans == 0 && PortConflicts == 0 && RefusedBinds == 0;

    public string Counters => $"lost={Lost} duplicates={Duplicates} orphans={Orphans} port_conflicts={PortConflicts} refused_binds={RefusedBinds} failed={Failed.Count} rejected={Rejected.Count}";
}

/// <summary>
/// Compares what a test asked for and what the store says with what Docker itself runs for a set of hosts:
/// <list type="bullet">
/// <item><c>lost</c>: a request that never settled; a name whose newest request is not the one running, or runs with
/// another replica count or image than the test asked for; a running revision with fewer containers of its image
/// than asked; a failure or rejection without a reason; a deleted name still current.</item>
/// <item><c>duplicates</c>: a replica with more than one running container, or a revision with more replicas
/// running than asked (in Docker or in the store).</item>
/// <item><c>orphans</c>: a container of these hosts that no running replica of a wanted revision owns, or one named
/// like a replica that carries no labels.</item>
/// <item><c>port_conflicts</c>: an (address, port, protocol) bound twice, a host port the store reserves for a
/// replica on a host's bind address held by any other container, or reserved while a process outside Workers holds
/// it there.</item>
/// <item><c>refused_binds</c>: a start the engine refused because its host port was held (a <see cref="ReplicaFailed"/>
/// flagged <c>HostPortTaken</c> or carrying the engine's words for it), even one Workers then placed again: the
/// planner let a conflict through to the engine.</item>
/// </list>
/// It reads only Docker and the store, so it can be pointed at a planted store and planted containers.
/// </summary>
internal static partial class ClusterAudit
{
    private static readonly DeploymentState[] Final = [DeploymentState.Running, DeploymentState.Failed, DeploymentState.Rejected, DeploymentState.Superseded, DeploymentState.RolledBack];

    public static async Task<AuditResult> RunAsync(DockerClient docker, IDeploymentStore store, IReadOnlyList<string> hostIds, ScenarioRecord scenario, Observations observed, CancellationToken cancellationToken)
    {
        var problems = new List<string>();
        var failed = new List<string>();
        var rejected = new List<string>();
        int lost = 0, duplicates = 0, orphans = 0, conflicts = 0, refused = 0;
        var all = await docker.Containers.ListContainersAsync(new ContainersListParameters { All = true }, cancellationToken);
        var ours = all.Where(c => c.Labels is not null && c.Labels.TryGetValue("workers.host", out var host) && hostIds.Contains(host)).ToList();
        var running = ours.Where(c => c.State == "running").ToList();
        var asked = scenario.Requests.ToDictionary(r => r.Id);
        var newest = scenario.Requests.GroupBy(r => r.Name, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Last(), StringComparer.Ordinal);

        // Containers named like replicas of these hosts that carry no Workers labels: nobody could ever find them.
        var unlabelled = all.Where(c => !ours.Contains(c) && c.Names.Any(n => ReplicaName().Match(n) is { Success: true } m && hostIds.Contains(m.Groups["host"].Value))).ToList();
        foreach (var container in unlabelled)
        {
            orphans++;
            problems.Add($"orphan: unlabelled container {string.Join(",", container.Names)} ({container.State})");
        }

        // Every request reached a final state, or its name was deleted and is gone; a name's newest request is the
        // one that runs, as the test asked for it, or it failed or was rejected with a reason.
        var current = (await store.GetCurrentRevisionsAsync(null, cancellationToken)).ToDictionary(r => r.Name ?? string.Empty, StringComparer.Ordinal);
        var states = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var request in scenario.Requests)
        {
            var (id, name) = (request.Id, request.Name);
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
                continue;
            }

            if (deleted || newest[name] != request)
            {
                continue;
            }

            switch (revision.State)
            {
                case DeploymentState.Running when !current.TryGetValue(name, out var now) || now.DeploymentId != revision.DeploymentId:
                    lost++;
                    problems.Add($"lost: the newest request {id} for {name} (r{revision.Revision}) is Running but the current revision is r{(current.TryGetValue(name, out var other) ? other.Revision : 0)}");
                    break;
                case DeploymentState.Running when revision.Spec is not { } spec || spec.Replicas != request.Replicas || spec.Image.ToString() != request.Image:
                    lost++;
                    problems.Add($"lost: the newest request {id} for {name} asked for {request.Replicas} of {request.Image}; r{revision.Revision} runs {revision.Spec?.Replicas} of {revision.Spec?.Image}");
                    break;
                case DeploymentState.Running:
                    break;
                case DeploymentState.Failed or DeploymentState.RolledBack or DeploymentState.Rejected when string.IsNullOrWhiteSpace(revision.Reason):
                    lost++;
                    problems.Add($"lost: the newest request {id} for {name} ended {revision.State} without a reason");
                    break;
                case DeploymentState.Rejected:
                    rejected.Add($"{name} ({id}): {revision.Reason}");
                    break;
                case DeploymentState.Failed or DeploymentState.RolledBack:
                    failed.Add($"{name} ({id}) {revision.State}: {revision.Reason}");
                    break;
                default:
                    lost++;
                    problems.Add($"lost: the newest request {id} for {name} is {revision.State}, and no newer request was made");
                    break;
            }
        }

        foreach (var line in failed.Concat(rejected))
        {
            problems.Add($"note: {line}");
        }

        // One container per replica.
        foreach (var twice in running.GroupBy(c => (Label(c, "workers.deployment-id"), Label(c, "workers.revision"), Label(c, "workers.replica"))).Where(g => g.Count() > 1))
        {
            duplicates += twice.Count() - 1;
            problems.Add($"duplicate: replica {twice.Key} runs {twice.Count()} times ({string.Join(", ", twice.Select(c => c.Names[0]))})");
        }

        // A Running deployment runs exactly the replicas asked for (the test's count, else its spec's), of the image
        // asked for, in Docker and in the store.
        foreach (var revision in current.Values.Where(r => r.State == DeploymentState.Running && r.Spec is not null))
        {
            var request = asked.GetValueOrDefault(revision.DeploymentId);
            var desired = request?.Replicas ?? revision.Spec!.Replicas;
            var image = request?.Image ?? revision.Spec!.Image.ToString();
            var containers = running.Where(c => Label(c, "workers.deployment") == revision.Name && Label(c, "workers.revision") == Number(revision.Revision)).ToList();
            var wrong = containers.Where(c => c.Image != image).ToList();
            var inDocker = containers.Except(wrong).Select(c => Label(c, "workers.replica")).Distinct(StringComparer.Ordinal).Count();
            var replicas = await store.GetReplicasAsync(revision.DeploymentId, cancellationToken);
            if (!replicas.Any(r => hostIds.Contains(r.HostId)))
            {
                // Placed on other hosts than the ones audited: another test's, in a shared store.
                continue;
            }

            var inStore = replicas.Count(r => r.State == ReplicaState.Running);
            if (Math.Min(inDocker, inStore) < desired)
            {
                lost += desired - Math.Min(inDocker, inStore);
                var images = wrong.Count == 0 ? string.Empty : $" ({string.Join(", ", wrong.Select(c => $"{c.Names[0]} runs the wrong image {c.Image}"))})";
                problems.Add($"lost: {revision.Name} r{revision.Revision} wants {desired} replicas of {image}, Docker runs {inDocker}{images}, the store has {inStore} running");
            }

            var replicasInDocker = containers.Select(c => Label(c, "workers.replica")).Distinct(StringComparer.Ordinal).Count();
            if (Math.Max(replicasInDocker, inStore) > desired)
            {
                duplicates += Math.Max(replicasInDocker, inStore) - desired;
                problems.Add($"duplicate: {revision.Name} r{revision.Revision} wants {desired} replicas, Docker runs {replicasInDocker}, the store has {inStore} running");
            }
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
        var bindings = all.Where(c => c.State == "running")
            .SelectMany(c => (c.Ports ?? []).Where(p => p.PublicPort is > 0).Select(p => (Key: (p.IP, p.PublicPort, p.Type), Container: c)))
            .DistinctBy(b => (b.Key, b.Container.ID))
            .ToList();
        foreach (var bound in bindings.GroupBy(b => b.Key).Where(g => g.Count() > 1))
        {
            conflicts += bound.Count() - 1;
            problems.Add($"port conflict: {bound.Key.IP}:{bound.Key.PublicPort}/{bound.Key.Type} bound by {string.Join(", ", bound.Select(b => b.Container.Names[0]))}");
        }

        // Docker's bindings against the store's reservations: a host port reserved for a replica on a host's bind
        // address (or on every address) is held by that replica's container or by nobody.
        var addresses = (await store.GetHostsAsync(cancellationToken))
            .Where(h => hostIds.Contains(h.Heartbeat.HostId))
            .ToDictionary(h => h.Heartbeat.HostId, h => h.Heartbeat.BindAddress, StringComparer.Ordinal);
        foreach (var reservation in await store.GetReservationsAsync(cancellationToken))
        {
            if (!addresses.TryGetValue(reservation.HostId, out var address))
            {
                continue;
            }

            var protocol = reservation.Protocol.ToString().ToLowerInvariant();
            foreach (var (_, holder) in bindings.Where(b => b.Key.PublicPort == reservation.HostPort && b.Key.Type == protocol && (b.Key.IP == address || AllAddresses(b.Key.IP))))
            {
                if (Label(holder, "workers.deployment-id") == reservation.DeploymentId.ToString("D") && Label(holder, "workers.replica") == Number(reservation.Index) && Label(holder, "workers.host") == reservation.HostId)
                {
                    continue;
                }

                conflicts++;
                problems.Add($"port conflict: {address}:{reservation.HostPort}/{protocol} is reserved for {reservation.Name} #{reservation.Index} on {reservation.HostId} but {holder.Names[0]} ({holder.Image}) holds it");
            }

            // A process outside Workers on that address (or on every address) holds it: the agent reported it taken.
            if (reservation.Protocol == Protocol.Tcp && observed.HeldOutside.Any(h => h.Port == reservation.HostPort && (h.Address == address || AllAddresses(h.Address))))
            {
                conflicts++;
                problems.Add($"port conflict: {address}:{reservation.HostPort}/tcp is reserved for {reservation.Name} #{reservation.Index} on {reservation.HostId} but a process outside Workers holds it");
            }
        }

        // The engine refused a bind: whatever Workers did next, its plan sent a start to a port something held.
        foreach (var failure in observed.Failures.Where(f => hostIds.Contains(f.HostId) && (f.HostPortTaken || EngineRefusedBind(f.Reason))))
        {
            refused++;
            problems.Add($"refused bind: {failure.Name} r{failure.Revision} #{failure.Index} on {failure.HostId}: {failure.Reason}");
        }

        var summary = string.Join(" ", states.OrderBy(s => s.Key, StringComparer.Ordinal).Select(s => $"{s.Key}={s.Value}"));
        return new AuditResult(lost, duplicates, orphans, conflicts, refused, failed, rejected, problems, summary);

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

    private static bool AllAddresses(string? ip) => ip is null or "" or "0.0.0.0" or "::";

    /// <summary>The engine's words for a host port something else holds (its API has no code for it).</summary>
    private static bool EngineRefusedBind(string reason) =>
        reason.Contains("port is already allocated", StringComparison.Ordinal) || reason.Contains("address already in use", StringComparison.Ordinal);

    private static string Label(ContainerListResponse container, string key) =>
        container.Labels is not null && container.Labels.TryGetValue(key, out var value) ? value : string.Empty;

    private static string Number(long value) => value.ToString(CultureInfo.InvariantCulture);

    [GeneratedRegex(@"^/[a-z][a-z0-9-]*-r\d+-\d+\.(?<host>[a-z0-9.-]+)$")]
    private static partial Regex ReplicaName();
}
