using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Workers.Contracts.Messages;
using Workers.Functions.Store;
using Workers.Security;

namespace Workers.Functions.Handlers;

/// <summary>
/// The gate every agent message passes before a handler sees it: it must be signed with the key pinned for the host it
/// claims to come from. A host's keys are pinned by the first heartbeat accepted for it (trust on first use, as SSH
/// does), and a later heartbeat cannot replace them: rotating an agent's keys or revoking a host means unpinning them
/// first. Refused messages are logged with the reason and change nothing.
/// </summary>
public sealed partial class AgentSenders(IDeploymentStore store, TimeProvider time, ILogger<AgentSenders> logger)
{
    /// <summary>The keys pinned for a revoked host: no message verifies against them.</summary>
    public static readonly AgentIdentity Revoked = new("revoked", "revoked");

    // Pinned keys as parsed, by their text: every agent message is checked against its host's key, and parsing it (base64,
    // a key import and a hash for its id) each time cost more than the store read. Bounded: a fleet's worth of keys.
    private static readonly ConcurrentDictionary<string, PublicSigningKey> ParsedKeys = new(StringComparer.Ordinal);

    /// <summary>Hands <paramref name="message"/> to <paramref name="handle"/> when its sender is who it says; otherwise no effects.</summary>
    public Task<Effects> AcceptAsync<T>(T message, Func<T, CancellationToken, Task<Effects>> handle, CancellationToken cancellationToken)
        where T : IAgentMessage
    {
        ArgumentNullException.ThrowIfNull(message);
        ArgumentNullException.ThrowIfNull(handle);
        return AcceptAsync([message], (accepted, token) => handle(accepted[0], token), cancellationToken);
    }

    /// <summary>
    /// Hands those of <paramref name="messages"/> whose sender is who it says to <paramref name="handle"/> together, each
    /// checked alone, with every sender's keys read at once and each deployment's replicas once for the batch.
    /// </summary>
    public async Task<Effects> AcceptAsync<T>(IReadOnlyList<T> messages, Func<IReadOnlyList<T>, CancellationToken, Task<Effects>> handle, CancellationToken cancellationToken)
        where T : IAgentMessage
    {
        ArgumentNullException.ThrowIfNull(messages);
        ArgumentNullException.ThrowIfNull(handle);
        var lookups = await BatchLookups.ReadAsync(store, messages.Select(m => m.HostId), cancellationToken);
        var accepted = new List<T>(messages.Count);
        foreach (var message in messages)
        {
            if (await RefusalAsync(message, lookups, cancellationToken) is { } refusal)
            {
                Refused(logger, typeof(T).Name, message.HostId, refusal);
            }
            else
            {
                accepted.Add(message);
            }
        }

        return accepted.Count == 0 ? new Effects() : await handle(accepted, cancellationToken);
    }

    private async Task<string?> RefusalAsync(IAgentMessage message, BatchLookups lookups, CancellationToken cancellationToken)
    {
        if (!Contracts.Spec.HostId.TryParse(message.HostId, out _, out var badHost))
        {
            return $"its host id is not one: {badHost}";
        }

        var pinned = lookups.HostKeys(message.HostId);
        if (pinned == Revoked)
        {
            return $"host {message.HostId} is revoked (workers hosts forget {message.HostId} lifts it)";
        }
        if (message is HostHeartbeat heartbeat)
        {
            if (heartbeat.Identity is not { } identity)
            {
                return "the heartbeat carries no agent keys (an agent older than signed messages)";
            }

            if (!PublicSigningKey.TryParse(identity.SigningKey, out var offered, out var problem))
            {
                return $"its signing key {problem}";
            }

            if (!SealingKey.IsPublicKey(identity.SealingKey, out var sealingProblem))
            {
                return $"its sealing key {sealingProblem}";
            }

            if (pinned is null)
            {
                // First contact: pinned only once the heartbeat proves it holds the key it offers.
                if (offered!.Refusal(message) is { } unproven)
                {
                    return unproven;
                }

                pinned = await store.PinHostKeysAsync(message.HostId, identity, time.GetUtcNow(), cancellationToken);
                lookups.Pinned(message.HostId, pinned);
                if (pinned == identity)
                {
                    Pinned(logger, message.HostId, offered.KeyId);
                }
            }

            if (pinned is not null && pinned != identity)
            {
                return $"it offers key {offered!.KeyId}, but host {message.HostId} is pinned to key {ParsedKey(pinned.SigningKey).KeyId}; unpin the host's keys to rotate them";
            }
        }

        if (pinned is null)
        {
            return $"no keys are pinned for host {message.HostId}: its agent's first heartbeat pins them";
        }

        return ParsedKey(pinned.SigningKey).Refusal(message) ?? await NotItsReplicaAsync(message, lookups, cancellationToken);
    }

    /// <summary>
    /// An agent speaks for the replicas placed on its own host only: a result about a replica the store places on
    /// another host (a late word from a host the replica was moved away from, or one host's key used against another's
    /// replicas) is refused. A replica the store does not know is left to the handler.
    /// </summary>
    private static async Task<string?> NotItsReplicaAsync(IAgentMessage message, BatchLookups lookups, CancellationToken cancellationToken)
    {
        var (deploymentId, index) = message switch
        {
            ReplicaStarted m => (m.CorrelationId, m.Index),
            ReplicaFailed m => (m.CorrelationId, m.Index),
            ReplicaStopped m => (m.CorrelationId, m.Index),
            ReplicaHealthChanged m => (m.CorrelationId, m.Index),
            _ => (Guid.Empty, -1),
        };
        if (index < 0 || await lookups.ReplicaAsync(deploymentId, index, cancellationToken) is not { } replica
            || string.Equals(replica.HostId, message.HostId, StringComparison.Ordinal))
        {
            return null;
        }

        return $"replica {index} of {replica.Name} r{replica.Revision} is placed on host {replica.HostId}, not on {message.HostId}";
    }

    private static PublicSigningKey ParsedKey(string signingKey)
    {
        if (ParsedKeys.TryGetValue(signingKey, out var key))
        {
            return key;
        }

        if (ParsedKeys.Count >= 16_384)
        {
            ParsedKeys.Clear();
        }

        return ParsedKeys[signingKey] = PublicSigningKey.Parse(signingKey);
    }

    /// <summary>
    /// What the check reads from the store for a batch (or a single message): every sender's pinned keys, read at once,
    /// and each deployment's replicas, read once when first asked for.
    /// </summary>
    private sealed class BatchLookups(IDeploymentStore store, Dictionary<string, AgentIdentity?> keys)
    {
        private readonly Dictionary<string, AgentIdentity?> _keys = keys;
        private readonly Dictionary<Guid, IReadOnlyList<ReplicaRecord>> _replicas = [];

        public static async Task<BatchLookups> ReadAsync(IDeploymentStore store, IEnumerable<string> senders, CancellationToken cancellationToken)
        {
            var hosts = senders.Where(h => Contracts.Spec.HostId.TryParse(h, out _, out _)).ToHashSet(StringComparer.Ordinal);
            var pinned = await store.GetHostKeysAsync(hosts, cancellationToken);
            return new BatchLookups(store, hosts.ToDictionary(h => h, h => pinned.GetValueOrDefault(h), StringComparer.Ordinal));
        }

        /// <summary>The keys pinned for a sender whose host id parses (every such sender's were read up front).</summary>
        public AgentIdentity? HostKeys(string hostId) => _keys.GetValueOrDefault(hostId);

        public async Task<ReplicaRecord?> ReplicaAsync(Guid deploymentId, int index, CancellationToken cancellationToken)
        {
            if (!_replicas.TryGetValue(deploymentId, out var replicas))
            {
                _replicas[deploymentId] = replicas = await store.GetReplicasAsync(deploymentId, cancellationToken);
            }

            return replicas.FirstOrDefault(r => r.Index == index);
        }

        public void Pinned(string hostId, AgentIdentity keys) => _keys[hostId] = keys;
    }

    [LoggerMessage(60, LogLevel.Warning, "Refused a {Message} that says it comes from host {HostId}: {Reason}")]
    private static partial void Refused(ILogger logger, string message, string hostId, string reason);

    [LoggerMessage(61, LogLevel.Information, "Pinned host {HostId} to agent key {KeyId}: its messages are accepted only signed with it")]
    private static partial void Pinned(ILogger logger, string hostId, string keyId);
}
