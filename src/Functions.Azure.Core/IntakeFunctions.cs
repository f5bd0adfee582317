using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using Workers.Intake;
using Workers.Intake.Http;

namespace Workers.Functions.Azure;

/// <summary>The HTTP API as HTTP-triggered functions: each hands its request to the same adapter as the self-hosted intake.</summary>
public sealed class IntakeFunctions(DeploymentIntake intake, SecretsIntake secrets)
{
    [Function(nameof(PostDeployment))]
    public async Task<IActionResult> PostDeployment(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "deployments")] HttpRequest request, CancellationToken cancellationToken) =>
        await IntakeHttp.PostDeploymentAsync(request, intake, cancellationToken);

    [Function(nameof(ListDeployments))]
    public async Task<IActionResult> ListDeployments(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "deployments")] HttpRequest request, CancellationToken cancellationToken) =>
        await IntakeHttp.ListDeploymentsAsync(request, intake, cancellationToken);

    [Function(nameof(GetDeployment))]
    public async Task<IActionResult> GetDeployment(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "deployments/{name}")] HttpRequest request, string name, CancellationToken cancellationToken) =>
        await IntakeHttp.GetDeploymentAsync(request, name, intake, cancellationToken);

    [Function(nameof(DeleteDeployment))]
    public async Task<IActionResult> DeleteDeployment(
        [HttpTrigger(AuthorizationLevel.Anonymous, "delete", Route = "deployments/{name}")] HttpRequest request, string name, CancellationToken cancellationToken) =>
        await IntakeHttp.DeleteDeploymentAsync(request, name, intake, cancellationToken);

    [Function(nameof(GetDeploymentHistory))]
    public async Task<IActionResult> GetDeploymentHistory(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "deployments/{name}/history")] HttpRequest request, string name, CancellationToken cancellationToken) =>
        await IntakeHttp.GetHistoryAsync(request, name, intake, cancellationToken);

    [Function(nameof(RollbackDeployment))]
    public async Task<IActionResult> RollbackDeployment(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "deployments/{name}/rollback")] HttpRequest request, string name, CancellationToken cancellationToken) =>
        await IntakeHttp.RollbackAsync(request, name, intake, cancellationToken);

    [Function(nameof(GetHosts))]
    public async Task<IActionResult> GetHosts(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "hosts")] HttpRequest request, CancellationToken cancellationToken) =>
        await IntakeHttp.GetHostsAsync(request, intake, cancellationToken);

    [Function(nameof(GetEvents))]
    public async Task<IActionResult> GetEvents(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "events")] HttpRequest request, CancellationToken cancellationToken) =>
        await IntakeHttp.GetEventsAsync(request, intake, cancellationToken);

    [Function(nameof(PutSecret))]
    public async Task<IActionResult> PutSecret(
        [HttpTrigger(AuthorizationLevel.Anonymous, "put", Route = "secrets/{name}")] HttpRequest request, string name, CancellationToken cancellationToken) =>
        await IntakeHttp.PutSecretAsync(request, name, intake, secrets, cancellationToken);

    [Function(nameof(ListSecrets))]
    public async Task<IActionResult> ListSecrets(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "secrets")] HttpRequest request, CancellationToken cancellationToken) =>
        await IntakeHttp.ListSecretsAsync(request, intake, secrets, cancellationToken);

    [Function(nameof(DeleteSecret))]
    public async Task<IActionResult> DeleteSecret(
        [HttpTrigger(AuthorizationLevel.Anonymous, "delete", Route = "secrets/{name}")] HttpRequest request, string name, CancellationToken cancellationToken) =>
        await IntakeHttp.DeleteSecretAsync(request, name, intake, secrets, cancellationToken);
}
