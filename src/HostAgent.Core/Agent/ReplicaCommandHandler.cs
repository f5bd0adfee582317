using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Workers.Contracts.Messages;
using Workers.Contracts.Spec;
using Workers.HostAgent.Runtime;
using Workers.Security;

namespace Workers.HostAgent.Agent;

/// <summary>
/// Carries out start and stop commands on this host's Docker engine and says what happened, one result per replica.
/// Idempotent: containers are found by name and labels, so a redelivered command changes nothing twice.
/// </summary>
public sealed class ReplicaCommandHandler(IContainerRuntime runtime, HealthMonitor health, AgentOptions options, TimeProvider time, ILogger<ReplicaCommandHandler> logger)
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>
    /// Starts the command's replicas all at once and hands each result to <paramref name="report"/> as soon as that
    /// replica is up (or has failed), so that the functions track the first replicas while Docker starts the rest.
    /// </summary>
    public async Task<IReadOnlyList<object>> HandleAsync(StartReplicas command, Func<object, Task> report, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(command);
        ArgumentNullException.ThrowIfNull(report);
        if (Forged(command, command.HostId, command.Spec.Name.Value, command.Revision))
        {
            return [];
        }

        var refusal = await RefusalAsync(command, cancellationToken);
        var (env, unopened) = refusal is null ? ContainerEnvironment(command) : (null, null);
        if ((refusal ?? unopened) is { } reason)
        {
            IReadOnlyList<object> refused = [.. command.Replicas.Select(r => Failed(command, r.Index, reason))];
            await Task.WhenAll(refused.Select(report));
            return refused;
        }

        return await Task.WhenAll(command.Replicas.Select(async replica =>
        {
            var result = await StartAsync(command, replica, env!, cancellationToken);
            await report(result);
            return result;
        }));
    }

    public async Task<IReadOnlyList<object>> HandleAsync(StopReplicas command, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(command);
        if (Forged(command, command.HostId, command.Name, command.Revision))
        {
            return [];
        }

        // A stop made before the start command that made the container (an old stop delivered again, a replayed one)
        // must not stop what that later start brought up: the container's label says when its start was made.
        var made = (await runtime.ListAsync(
                new Dictionary<string, string> { [ContainerLabels.Deployment] = command.Name, [ContainerLabels.Host] = options.HostId.Value },
                cancellationToken))
            .ToDictionary(c => c.Name, c => ContainerLabels.ReadCommandAt(c.Labels), StringComparer.Ordinal);
        var results = await Task.WhenAll(command.Indexes.Select(async index =>
        {
            var name = ContainerLabels.ContainerName(command.Name, command.Revision, index, options.HostId.Value);
            if (made.GetValueOrDefault(name) is { } startedAt && startedAt > command.Timestamp)
            {
                AgentLog.StaleStopIgnored(logger, command.Name, command.Revision, index, command.Timestamp, startedAt);
                return null;
            }

            var existed = await runtime.RemoveAsync(name, options.StopGrace, cancellationToken);
            AgentLog.ReplicaStopped(logger, command.Name, command.Revision, index, existed);
            return (object)options.Sign(new ReplicaStopped(Guid.NewGuid(), command.CorrelationId, time.GetUtcNow(), options.HostId.Value, command.Name, command.Revision, index));
        }));
        return [.. results.OfType<object>()];
    }

    /// <summary>
    /// True for a command this agent must not act on or answer: not signed by a trusted control-plane key, or addressed
    /// to another host (a command copied into this host's queue). It is logged; no result goes out, since a result
    /// signed by this agent would lend a forged command this host's word.
    /// </summary>
    private bool Forged(ISignedMessage command, string hostId, string name, long revision)
    {
        var refusal = options.ControlKeys.Refusal(command)
            ?? (hostId != options.HostId.Value ? $"it is addressed to host {hostId}, not {options.HostId}" : null);
        if (refusal is null)
        {
            return false;
        }

        AgentLog.CommandRefused(logger, command.GetType().Name, name, revision, refusal);
        return true;
    }

    private async Task<string?> RefusalAsync(StartReplicas command, CancellationToken cancellationToken)
    {
        if (time.GetUtcNow() > command.ExpiresAt)
        {
            return $"the command expired at {command.ExpiresAt:O} before it arrived";
        }

        // The planner refuses this already when it knows the host's allowances; a command planned without them (or forged)
        // is refused here, before anything starts.
        if (options.Containers.Forbidden(command.Spec, command.Replicas.SelectMany(r => r.Ports)) is { } forbidden)
        {
            return forbidden;
        }

        // Stale: another revision of the name runs here from a start command made after this one (this one was held up
        // in a queue, or by a host that was away, while the functions moved on). Which revision is newer says nothing:
        // a rollback starts the older revision again, on purpose, while the newer one still runs here; by revision
        // number alone every such start would be refused and the rollback could not finish (the likely cause of fault
        // seed 154147699's stuck rollback, not replayed). A container made before its start command's time was
        // labelled falls back to the revision number.
        var running = await runtime.ListAsync(
            new Dictionary<string, string> { [ContainerLabels.Deployment] = command.Spec.Name.Value, [ContainerLabels.Host] = options.HostId.Value },
            cancellationToken);
        var madeAt = DateTimeOffset.FromUnixTimeMilliseconds(command.Timestamp.ToUnixTimeMilliseconds());
        var newer = running
            .Select(c => (Revision: c.Labels.TryGetValue(ContainerLabels.Revision, out var text) && long.TryParse(text, CultureInfo.InvariantCulture, out var revision) ? revision : 0, MadeAt: ContainerLabels.ReadCommandAt(c.Labels)))
            .Where(c => c.Revision != command.Revision && (c.MadeAt is { } at ? at > madeAt : c.Revision > command.Revision))
            .OrderByDescending(c => c.MadeAt)
            .ToList();
        return newer is not [var first, ..]
            ? null
            : $"stale command: made at {madeAt:O}, before the start of revision {first.Revision} of {command.Spec.Name} that runs on this host"
              + (first.MadeAt is { } made ? $" (made at {made:O})" : string.Empty);
    }

    /// <summary>
    /// The container's environment: the spec's literal variables, and each secret reference's value opened with this
    /// agent's sealing key for this deployment, revision and variable; or why not, naming the variable and the secret
    /// (never a value). The values go to the engine's container create call and nowhere else.
    /// </summary>
    private (IReadOnlyDictionary<string, string>? Env, string? Refusal) ContainerEnvironment(StartReplicas command)
    {
        var spec = command.Spec;
        if (spec.SecretEnv.Count == 0)
        {
            return (spec.Env, null);
        }

        var env = new Dictionary<string, string>(spec.Env, StringComparer.Ordinal);
        foreach (var (variable, secret) in spec.SecretEnv)
        {
            if (command.SealedEnv?.GetValueOrDefault(variable) is not { } sealedValue)
            {
                return (null, $"env {variable}: the value of secret '{secret}' did not come with the command (the secret was deleted, or the functions could not seal it to this host's key)");
            }

            byte[]? value = null;
            try
            {
                value = options.Keys.Sealing.Open(sealedValue, SealingContexts.EnvValue(spec.Name.Value, command.Revision, variable));
                env[variable] = StrictUtf8.GetString(value);
            }
            catch (Exception e) when (e is CryptographicException or FormatException or DecoderFallbackException)
            {
                return (null, $"env {variable}: the value of secret '{secret}' does not open with this agent's sealing key (sealed to another key, or for another deployment, revision or variable)");
            }
            finally
            {
                if (value is not null)
                {
                    CryptographicOperations.ZeroMemory(value);
                }
            }
        }

        return (env, null);
    }

    private async Task<object> StartAsync(StartReplicas command, ReplicaAssignment replica, IReadOnlyDictionary<string, string> env, CancellationToken cancellationToken)
    {
        var spec = command.Spec;
        var name = spec.Name.Value;
        var labels = new Dictionary<string, string>
        {
            [ContainerLabels.Deployment] = name,
            [ContainerLabels.DeploymentId] = command.CorrelationId.ToString("D"),
            [ContainerLabels.Revision] = command.Revision.ToString(CultureInfo.InvariantCulture),
            [ContainerLabels.Replica] = replica.Index.ToString(CultureInfo.InvariantCulture),
            [ContainerLabels.Host] = options.HostId.Value,
            [ContainerLabels.CpuMillicores] = (spec.Resources.Cpu?.Millicores ?? 0).ToString(CultureInfo.InvariantCulture),
            [ContainerLabels.MemoryBytes] = (spec.Resources.Memory?.Bytes ?? 0).ToString(CultureInfo.InvariantCulture),
            [ContainerLabels.MinReadyMs] = ((long)spec.Update.MinReady.Value.TotalMilliseconds).ToString(CultureInfo.InvariantCulture),
            [ContainerLabels.CommandAt] = command.Timestamp.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture),
        };
        if (spec.HealthCheck is { } check)
        {
            labels[ContainerLabels.Health] = HealthCheckLabel.From(check).ToJson();
        }

        var launch = new ContainerLaunch(
            ContainerLabels.ContainerName(name, command.Revision, replica.Index, options.HostId.Value),
            spec.Image.ToString(),
            spec.Command,
            env,
            [.. replica.Ports.Select(p => new PortPublish(p.ContainerPort, p.HostPort, Protocol(p.Protocol)))],
            // The agent's default limits cap a replica whose spec gives none; the labels keep what the spec reserved.
            (spec.Resources.Cpu ?? options.Containers.DefaultCpu)?.NanoCpus,
            (spec.Resources.Memory ?? options.Containers.DefaultMemory)?.Bytes,
            labels,
            options.BindAddress)
        {
            Hardening = options.Containers.HardeningFor(spec),
        };
        var outcome = await runtime.EnsureRunningAsync(launch, cancellationToken);
        switch (outcome)
        {
            case ContainerStarted started:
                AgentLog.ReplicaStarted(logger, name, command.Revision, replica.Index, started.ContainerId);
                var now = time.GetUtcNow();
                health.Track(new ManagedContainer(started.ContainerId, launch.Name, labels, true, "running", started.Ports, now), now);
                return options.Sign(new ReplicaStarted(Guid.NewGuid(), command.CorrelationId, time.GetUtcNow(), options.HostId.Value, name, command.Revision, replica.Index, started.ContainerId,
                    [.. started.Ports.Select(p => new PortBinding(p.ContainerPort, p.HostPort, p.Protocol == "udp" ? Contracts.Spec.Protocol.Udp : Contracts.Spec.Protocol.Tcp))]));
            case ContainerFailed failed:
                return Failed(command, replica.Index, failed.Reason, failed.HostPortTaken);
            default:
                throw new InvalidOperationException($"unknown outcome {outcome}");
        }
    }

    private ReplicaFailed Failed(StartReplicas command, int index, string reason, bool hostPortTaken = false)
    {
        AgentLog.ReplicaFailed(logger, command.Spec.Name.Value, command.Revision, index, reason);
        return options.Sign(new ReplicaFailed(Guid.NewGuid(), command.CorrelationId, time.GetUtcNow(), options.HostId.Value, command.Spec.Name.Value, command.Revision, index, reason, hostPortTaken));
    }

    private static string Protocol(Protocol protocol) => protocol == Contracts.Spec.Protocol.Udp ? "udp" : "tcp";
}
