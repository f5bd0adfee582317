using Workers.Contracts.Messages;
using Workers.Contracts.Spec;
using Workers.Functions.Store;

namespace Workers.Functions.Handlers;

/// <summary>
/// Validate: the same parser as <c>workers validate</c>, and every secret the spec refers to must exist; publishes
/// accepted or rejected. Re-running it is harmless.
/// </summary>
public sealed class ValidateHandler(IDeploymentStore store, ISecretStore secrets, TimeProvider time)
{
    public async Task<Effects> HandleAsync(DeploymentRequested request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var now = time.GetUtcNow();
        var result = SpecParser.Parse(request.SpecText ?? string.Empty, request.Source ?? "request");
        var missing = await SecretChecks.MissingAsync(secrets, result, cancellationToken);
        if (result.IsValid && missing.Problems.Count == 0)
        {
            return new Effects().Publish(new DeploymentAccepted(Guid.NewGuid(), request.CorrelationId, now, result.Spec, request.RequestedBy ?? "unknown") { RequestedAt = request.Timestamp });
        }

        var problems = result.IsValid ? missing.Problems : result.Problems;
        var reason = result.IsValid
            ? $"the spec refers to secrets that do not exist: {string.Join(", ", missing.Names)}"
            : $"the spec is invalid: {problems.Count} problem(s)";
        var name = result.IsValid ? result.Spec.Name.Value : NameOf(request.SpecText);
        await store.RecordRejectionAsync(request.CorrelationId, name, reason, problems, request.RequestedBy ?? "unknown", now, cancellationToken);
        return new Effects().Publish(new DeploymentRejected(Guid.NewGuid(), request.CorrelationId, now, name, reason, problems));
    }

    /// <summary>The name a rejected spec meant to have, if a plain "name:" line gives one, so that status can show it.</summary>
    private static string? NameOf(string? text)
    {
        foreach (var line in (text ?? string.Empty).Split('\n', 200))
        {
            var trimmed = line.Trim().Trim(',');
            foreach (var prefix in new[] { "name:", "\"name\":" })
            {
                if (trimmed.StartsWith(prefix, StringComparison.Ordinal))
                {
                    var value = trimmed[prefix.Length..].Trim().Trim('"', '\'');
                    return DnsLabel.TryParse(value, out var label, out _) ? label.Value : null;
                }
            }
        }

        return null;
    }
}
