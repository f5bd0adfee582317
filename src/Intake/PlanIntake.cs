using System.Text;
using Microsoft.AspNetCore.Http;
using Workers.Contracts.Messages;
using Workers.Contracts.Spec;
using Workers.Functions.Handlers;

namespace Workers.Intake;

/// <summary><c>POST /api/plan</c>, free of HTTP: the dry run of <c>workers plan</c>, in the functions' own process.</summary>
public sealed class PlanIntake(DryRunHandler planner, TimeProvider time)
{
    /// <summary>
    /// 200 with the plan (<c>placements</c>, or the <c>reason</c> and <c>problems</c> why the spec cannot be placed),
    /// exactly what <c>workers plan -o json</c> reads; nothing is started or stored.
    /// </summary>
    public async Task<IntakeResult> PlanAsync(ReadOnlyMemory<byte> body, SpecFormat format, CancellationToken cancellationToken)
    {
        var file = format == SpecFormat.Json ? "request.json" : "request.yaml";
        var reply = await planner.HandleAsync(new PlanDeployment(Guid.NewGuid(), Guid.NewGuid(), time.GetUtcNow(), Encoding.UTF8.GetString(body.Span), file), cancellationToken);
        return new IntakeResult(StatusCodes.Status200OK, reply);
    }
}
