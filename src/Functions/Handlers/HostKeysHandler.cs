using Microsoft.Extensions.Logging;
using Workers.Contracts.Messages;
using Workers.Functions.Store;

namespace Workers.Functions.Handlers;

/// <summary>
/// Forgets or revokes a host's pinned agent keys (<see cref="AgentSenders"/>). Revoking pins a tombstone: the host's
/// messages are refused until it is forgotten, so no other agent can take the host id meanwhile.
/// </summary>
public sealed partial class HostKeysHandler(IDeploymentStore store, TimeProvider time, ILogger<HostKeysHandler> logger)
{
    public async Task<HostKeysReply> HandleAsync(ForgetHost request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var now = time.GetUtcNow();
        string outcome;
        if (request.Revoke)
        {
            // One statement: a heartbeat between an unpin and a pin would pin the agent's own keys again.
            await store.ReplaceHostKeysAsync(request.HostId, AgentSenders.Revoked, now, cancellationToken);
            outcome = "revoked";
        }
        else
        {
            outcome = await store.ForgetHostKeysAsync(request.HostId, cancellationToken) ? "forgotten" : "had no keys pinned";
        }

        Changed(logger, request.HostId, outcome, request.RequestedBy);
        return new HostKeysReply(Guid.NewGuid(), request.CorrelationId, now, request.HostId, outcome);
    }

    [LoggerMessage(62, LogLevel.Warning, "Host {HostId}'s agent keys: {Outcome}, asked by {RequestedBy}")]
    private static partial void Changed(ILogger logger, string hostId, string outcome, string requestedBy);
}
