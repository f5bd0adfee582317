using Microsoft.AspNetCore.Http;
using Workers.Contracts.Messages;
using Workers.Contracts.Spec;
using Workers.Functions.Handlers;

namespace Workers.Intake;

/// <summary>
/// <c>POST /api/hosts/{id}/forget</c> and <c>POST /api/hosts/{id}/revoke</c>, free of HTTP: the same
/// <see cref="HostKeysHandler"/> as <c>workers hosts forget|revoke</c>, in the functions' own process.
/// </summary>
public sealed class HostKeysIntake(HostKeysHandler hostKeys, TimeProvider time)
{
    private const string RequestedBy = "api";

    /// <summary>
    /// Unpins the host's agent keys (or, with <paramref name="revoke"/>, refuses its messages from now on): 200 with what
    /// was done, or 400 for a host id that is not one. Asking twice is answered as once: a forgotten host has no keys
    /// pinned, a revoked one stays revoked.
    /// </summary>
    public async Task<IntakeResult> ForgetAsync(string hostId, bool revoke, CancellationToken cancellationToken)
    {
        if (!HostId.TryParse(hostId, out var id, out var error))
        {
            return IntakeResult.Problem(StatusCodes.Status400BadRequest, $"'{hostId}' is not a host id: {error}");
        }

        var reply = await hostKeys.HandleAsync(new ForgetHost(Guid.NewGuid(), Guid.NewGuid(), time.GetUtcNow(), id.Value, revoke, RequestedBy), cancellationToken);
        return new IntakeResult(StatusCodes.Status200OK, new HostKeysAnswer(reply.HostId, reply.Outcome));
    }
}
