using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using Workers.Intake.Events;
using Workers.Intake.GitHub;
using Workers.Intake.Http;

namespace Workers.Functions.Azure;

/// <summary>The webhooks as HTTP-triggered functions; signatures are checked by the intake, so the functions are anonymous.</summary>
public sealed class HookFunctions(GitHubHookHandler github, EventsHookHandler events)
{
    [Function(nameof(GitHubHook))]
    public async Task<IActionResult> GitHubHook(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "hooks/github")] HttpRequest request, CancellationToken cancellationToken) =>
        await IntakeHttp.GitHubAsync(request, github, cancellationToken);

    [Function(nameof(EventsHook))]
    public async Task<IActionResult> EventsHook(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "hooks/events")] HttpRequest request, CancellationToken cancellationToken) =>
        await IntakeHttp.EventsAsync(request, events, cancellationToken);
}
