using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using Workers.Intake;
using Workers.Intake.Http;

namespace Workers.Functions.Azure;

/// <summary><c>POST /api/plan</c> as an HTTP-triggered function: the dry run <c>workers plan</c> asks for over HTTP.</summary>
public sealed class PlanFunction(DeploymentIntake intake, PlanIntake planner)
{
    [Function("PlanDeployment")]
    public async Task<IActionResult> Plan(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "plan")] HttpRequest request, CancellationToken cancellationToken) =>
        await IntakeHttp.PlanAsync(request, intake, planner, cancellationToken);
}
