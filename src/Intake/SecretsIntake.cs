using Microsoft.AspNetCore.Http;
using Workers.Contracts.Messages;
using Workers.Functions.Handlers;

namespace Workers.Intake;

/// <summary>
/// <c>/api/secrets</c>, free of HTTP: the same <see cref="SecretsHandler"/> as <c>workers secret</c>, in the functions'
/// own process, so the value goes from the request (over the intake's TLS) to the store's encryption and nowhere else.
/// </summary>
public sealed class SecretsIntake(SecretsHandler secrets, TimeProvider time)
{
    private const string RequestedBy = "api";

    /// <summary>Sets a secret: 201 when it is new, 200 when its value was replaced, 400 for a bad name, 422 when refused.</summary>
    public async Task<IntakeResult> SetAsync(string name, ReadOnlyMemory<byte> value, CancellationToken cancellationToken)
    {
        var reply = await secrets.SetAsync(Guid.NewGuid(), name, value, RequestedBy, cancellationToken);
        return reply.Outcome switch
        {
            SecretOutcome.Created => new IntakeResult(StatusCodes.Status201Created, new SecretAnswer(reply.Name, reply.Outcome), Location),
            SecretOutcome.Updated => new IntakeResult(StatusCodes.Status200OK, new SecretAnswer(reply.Name, reply.Outcome)),
            _ => Refused(reply),
        };
    }

    /// <summary>Every secret's name and dates, as <c>workers secret list --format json</c> prints them.</summary>
    public async Task<IntakeResult> ListAsync(CancellationToken cancellationToken)
    {
        var reply = await secrets.HandleAsync(new ListSecrets(Guid.NewGuid(), Guid.NewGuid(), time.GetUtcNow()), cancellationToken);
        return new IntakeResult(StatusCodes.Status200OK, reply.Secrets);
    }

    /// <summary>Removes a secret: 200, 404 for an unknown name, 400 for a bad one.</summary>
    public async Task<IntakeResult> DeleteAsync(string name, CancellationToken cancellationToken)
    {
        var reply = await secrets.DeleteAsync(Guid.NewGuid(), name, RequestedBy, cancellationToken);
        return reply.Outcome switch
        {
            SecretOutcome.Deleted => new IntakeResult(StatusCodes.Status200OK, new SecretAnswer(reply.Name, reply.Outcome)),
            SecretOutcome.NotFound => IntakeResult.Problem(StatusCodes.Status404NotFound, $"there is no secret named '{reply.Name}'"),
            _ => Refused(reply),
        };
    }

    private const string Location = "/api/secrets";

    private static IntakeResult Refused(SecretReply reply) =>
        IntakeResult.Problem(reply.Error?.Contains("is not a secret name", StringComparison.Ordinal) == true ? StatusCodes.Status400BadRequest : StatusCodes.Status422UnprocessableEntity, reply.Error ?? "refused");
}
