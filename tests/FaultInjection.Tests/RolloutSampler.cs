using System.Globalization;
using Docker.DotNet.Models;
using Workers.Contracts.Messages;
using Workers.Functions.Store;

namespace Workers.FaultInjection.Tests;

/// <summary>
/// Watches rollouts from outside while the scenario runs: every 500 ms, for each deployment whose current revision is
/// rolling out over one that ran, it lists that deployment's running containers in Docker and GETs each one. The floor
/// is the smaller of the two revisions' replica counts less the new revision's <c>maxUnavailable</c>. A sample counts
/// as below the floor when fewer answer than that <em>and</em> Workers itself stopped a replica that answered at the
/// previous sample (the store has it <c>Stopping</c>/<c>Stopped</c>, and not for failing its health check): the update
/// policy is a budget for the disruptions Workers chooses, as a Kubernetes disruption budget counts only voluntary
/// ones. Dips a fault causes without any stop by Workers (an agent killed, a broker restart that delays replacements,
/// an old revision already short when its rollout began) are printed but not counted; stops while a host was silent
/// past the host timeout, or after one of the deployment's running replicas was lost during the rollout, are excused.
/// </summary>
internal sealed class RolloutSampler(FaultCluster cluster, Func<Guid, (int Replicas, int MaxUnavailable)?> policyOf, Action<string> log) : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly HashSet<string> _rolled = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Dictionary<string, (Guid DeploymentId, int Index)>> _answered = new(StringComparer.Ordinal);
    private Task _loop = Task.CompletedTask;
    private DateTimeOffset _excusedUntil = DateTimeOffset.MinValue;

    /// <summary>Samples below the policy's floor right after Workers stopped a replica that answered.</summary>
    public int BelowFloor { get; private set; }

    /// <summary>Samples below the floor with no stop by Workers to blame (a fault's dip): printed, not judged.</summary>
    public int Dips { get; private set; }

    /// <summary>Samples taken while some rollout was in progress.</summary>
    public int Samples { get; private set; }

    /// <summary>Deployments seen rolling out.</summary>
    public int Rollouts => _rolled.Count;

    public void Start() => _loop = RunAsync();

    /// <summary>A host is lost until <paramref name="until"/>: dips then are the fault's, not the policy's.</summary>
    public void Excuse(DateTimeOffset until)
    {
        if (until > _excusedUntil)
        {
            _excusedUntil = until;
        }
    }

    /// <summary>True while some deployment rolls out (a fault injected now hits a rollout mid-wave).</summary>
    public async Task<bool> RollingAsync() => (await RollingNowAsync()).Count > 0;

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _loop;
        _stop.Dispose();
    }

    private async Task<List<(RevisionRecord Target, int Floor)>> RollingNowAsync()
    {
        var rolling = new List<(RevisionRecord, int)>();
        foreach (var current in await cluster.Store.GetCurrentRevisionsAsync(null, CancellationToken.None))
        {
            if (current is not { State: DeploymentState.Pending, Name: { } name } || policyOf(current.DeploymentId) is not { } policy)
            {
                continue;
            }

            var older = (await cluster.Store.GetRevisionsAsync(name, CancellationToken.None)).FirstOrDefault(r => r.Revision < current.Revision && r.State == DeploymentState.Running);
            if (older?.Spec is { } spec)
            {
                rolling.Add((current, Math.Min(spec.Replicas, policy.Replicas) - policy.MaxUnavailable));
            }
        }

        return rolling;
    }

    private async Task RunAsync()
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(1) };
        while (!_stop.IsCancellationRequested)
        {
            try
            {
                await SampleAsync(http);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                // The store or Docker busy for a moment: the next sample looks again. One that fails while the run
                // stops is not a finding either (the samples so far are what the run is judged by).
                log($"sampler: {e.GetType().Name}: {e.Message}");
                if (_stop.IsCancellationRequested)
                {
                    return;
                }
            }

            try
            {
                await Task.Delay(TimeSpan.FromMilliseconds(500), _stop.Token);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private async Task SampleAsync(HttpClient http)
    {
        // A host the functions may have declared down (an agent killed, or slow to come back after a broker restart)
        // loses its replicas whatever the policy says: its dips are the fault's, until well after it is back.
        var now = DateTimeOffset.UtcNow;
        var hosts = await cluster.Store.GetHostsAsync(CancellationToken.None);
        if (cluster.HostIds.Any(id => hosts.FirstOrDefault(h => h.Heartbeat.HostId == id) is not { } host || now - host.ReceivedAt > FaultCluster.HostTimeout))
        {
            Excuse(now + TimeSpan.FromSeconds(30));
        }

        var rolling = await RollingNowAsync();
        if (rolling.Count == 0)
        {
            return;
        }

        Samples++;
        foreach (var (target, floor) in rolling)
        {
            _rolled.Add(target.Name!);
            var containers = await cluster.Docker.Containers.ListContainersAsync(new ContainersListParameters
            {
                Filters = new Dictionary<string, IDictionary<string, bool>> { ["label"] = new Dictionary<string, bool> { [$"workers.deployment={target.Name}"] = true } },
            });
            var running = containers.Where(c => c.State == "running")
                .SelectMany(c => (c.Ports ?? []).Where(p => p.PublicPort is > 0 && p.Type == "tcp").Take(1).Select(p => (Container: c, Url: $"http://{p.IP}:{p.PublicPort!.Value.ToString(CultureInfo.InvariantCulture)}/")))
                .ToList();
            var answers = await Task.WhenAll(running.Select(r => AnswersAsync(http, r.Url)));
            var answering = running.Where((_, i) => answers[i]).ToDictionary(r => r.Container.ID, r => ReplicaOf(r.Container), StringComparer.Ordinal);
            var before = _answered.GetValueOrDefault(target.Name!) ?? [];
            _answered[target.Name!] = answering;
            if (answering.Count >= floor)
            {
                continue;
            }

            var gone = before.Where(b => !running.Any(r => r.Container.ID == b.Key)).Select(b => b.Value).ToList();
            var stopped = await StoppedByWorkersAsync(gone);
            if (stopped.Count > 0 && DateTimeOffset.UtcNow > _excusedUntil && !await LostDuringAsync(target))
            {
                BelowFloor++;
                log($"below floor: {target.Name} r{target.Revision} rolling out, {answering.Count} answering of {running.Count} running, the policy allows no fewer than {floor}, and Workers stopped {string.Join(", ", stopped)} since the last sample");
            }
            else
            {
                Dips++;
                log($"dip: {target.Name} r{target.Revision} rolling out, {answering.Count} answering of {running.Count} running (floor {floor}), no stop by Workers to blame");
            }
        }
    }

    private static (Guid DeploymentId, int Index) ReplicaOf(ContainerListResponse container) =>
        (Guid.TryParse(container.Labels.GetValueOrDefault("workers.deployment-id"), out var id) ? id : Guid.Empty,
         int.TryParse(container.Labels.GetValueOrDefault("workers.replica"), NumberStyles.Integer, CultureInfo.InvariantCulture, out var index) ? index : -1);

    /// <summary>Of the replicas whose containers went away, those Workers asked to stop while they were not unhealthy.</summary>
    private async Task<List<string>> StoppedByWorkersAsync(IReadOnlyList<(Guid DeploymentId, int Index)> gone)
    {
        var stopped = new List<string>();
        foreach (var group in gone.GroupBy(g => g.DeploymentId))
        {
            var replicas = await cluster.Store.GetReplicasAsync(group.Key, CancellationToken.None);
            stopped.AddRange(replicas
                .Where(r => group.Any(g => g.Index == r.Index) && r.State is ReplicaState.Stopping or ReplicaState.Stopped && r.Health != ReplicaHealth.Unhealthy)
                .Select(r => $"r{r.Revision}/{r.Index} on {r.HostId}"));
        }

        return stopped;
    }

    /// <summary>
    /// True when a replica of the deployment that had a container was given up as lost since shortly before this
    /// rollout began (its host declared down, its container gone outside Workers): a fault took it, not the update
    /// policy, and until the rollout ends the floor is the fault's to keep, as a disruption budget counts only
    /// voluntary disruptions. (A pending revision's last change is its creation.)
    /// </summary>
    private async Task<bool> LostDuringAsync(RevisionRecord target)
    {
        var since = target.UpdatedAt - TimeSpan.FromMinutes(1);
        foreach (var revision in (await cluster.Store.GetRevisionsAsync(target.Name!, CancellationToken.None)).Take(3))
        {
            if ((await cluster.Store.GetReplicasAsync(revision.DeploymentId, CancellationToken.None))
                .Any(r => r.State == ReplicaState.Lost && r.ContainerId is not null && r.UpdatedAt >= since))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>A replica answers when one of two GETs succeeds: one slow answer on a busy machine is not a dip.</summary>
    private static async Task<bool> AnswersAsync(HttpClient http, string url) => await AnswersOnceAsync(http, url) || await AnswersOnceAsync(http, url);

    private static async Task<bool> AnswersOnceAsync(HttpClient http, string url)
    {
        try
        {
            using var response = await http.GetAsync(new Uri(url));
            return response.IsSuccessStatusCode;
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            return false;
        }
    }
}
