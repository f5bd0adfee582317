using Workers.Contracts.Messages;
using Workers.Contracts.Spec;
using Workers.Functions.Store;

namespace Workers.Functions.Handlers;

/// <summary>Validate: the same parser as <c>workers validate</c>; publishes accepted or rejected. Re-running it is harmless.</summary>
public sealed class ValidateHandler(IDeploymentStore store, TimeProvider time)
{
    public async Task<Effects> HandleAsync(DeploymentRequested request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var now = time.GetUtcNow();
        var result = SpecParser.Parse(request.SpecText ?? string.Empty, request.Source ?? "request");
        if (result.IsValid)
        {
            return new Effects().Publish(new DeploymentAccepted(Guid.NewGuid(), request.CorrelationId, now, result.Spec, request.RequestedBy ?? "unknown"));
        }

        var reason = $"the spec is invalid: {result.Problems.Count} problem(s)";
        var name = NameOf(request.SpecText);
        await store.RecordRejectionAsync(request.CorrelationId, name, reason, result.Problems, request.RequestedBy ?? "unknown", now, cancellationToken);
        return new Effects().Publish(new DeploymentRejected(Guid.NewGuid(), request.CorrelationId, now, name, reason, result.Problems));
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
