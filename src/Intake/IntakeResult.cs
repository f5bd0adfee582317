using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.WebUtilities;

namespace Workers.Intake;

/// <summary>
/// What the intake answers, independent of the host: a status, a JSON body (a <see cref="ProblemDetails"/> for an
/// RFC 9457 problem) and, for 202, where to look next. The HTTP adapters write it out.
/// </summary>
/// <param name="Status">The HTTP status code.</param>
/// <param name="Body">The body, serialized as JSON.</param>
/// <param name="Location">The <c>Location</c> header, if any.</param>
/// <param name="Headers">Other response headers, if any (a page's <c>X-Total-Count</c> and <c>Link</c>).</param>
public sealed record IntakeResult(int Status, object Body, string? Location = null, IReadOnlyDictionary<string, string>? Headers = null)
{
    /// <summary>An RFC 9457 problem; the type is left as <c>about:blank</c>, so the title is the status's own phrase.</summary>
    public static IntakeResult Problem(int status, string detail, IDictionary<string, object?>? extensions = null)
    {
        var problem = new ProblemDetails { Status = status, Title = ReasonPhrases.GetReasonPhrase(status), Detail = detail };
        foreach (var (key, value) in extensions ?? new Dictionary<string, object?>())
        {
            problem.Extensions[key] = value;
        }

        return new IntakeResult(status, problem);
    }
}

/// <summary>The answer to an accepted deployment request.</summary>
/// <param name="DeploymentId">The id to follow the deployment by.</param>
/// <param name="Name">The deployment's name (its status is at <c>/api/deployments/{name}</c>).</param>
/// <param name="Image">The image that will run.</param>
public sealed record AcceptedDeployment(Guid DeploymentId, string Name, string Image);

/// <summary>The answer to an accepted rollback: an accepted deployment, and the revision whose spec it deploys again.</summary>
/// <param name="DeploymentId">The id to follow the new revision by.</param>
/// <param name="Name">The deployment's name.</param>
/// <param name="Image">The image that will run.</param>
/// <param name="Revision">The earlier revision whose spec is deployed again.</param>
public sealed record AcceptedRollback(Guid DeploymentId, string Name, string Image, long Revision);

/// <summary>The answer to an accepted delete request.</summary>
/// <param name="RequestId">The id of the request, echoed by the <c>DeploymentDeleted</c> event.</param>
/// <param name="Name">The deployment's name.</param>
public sealed record AcceptedDeletion(Guid RequestId, string Name);

/// <summary>The answer to a webhook delivery.</summary>
/// <param name="Delivery">The delivery id.</param>
/// <param name="Message">What was done, for a person reading the sender's delivery log.</param>
/// <param name="Deployments">The deployments requested (none when nothing matched or the delivery was seen before).</param>
public sealed record HookAnswer(string? Delivery, string Message, IReadOnlyList<AcceptedDeployment> Deployments);

/// <summary>The answer to a spec that validates: what it would deploy, and no problems.</summary>
/// <param name="Name">The deployment's name.</param>
/// <param name="Image">The image it would run.</param>
/// <param name="Problems">Always empty: the same field a 422 fills.</param>
public sealed record ValidSpec(string Name, string Image, IReadOnlyList<Workers.Contracts.Spec.SpecProblem> Problems);
