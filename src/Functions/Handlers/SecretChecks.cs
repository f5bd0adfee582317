using Workers.Contracts.Spec;
using Workers.Functions.Store;

namespace Workers.Functions.Handlers;

/// <summary>What validation adds to parsing for secrets: every secret a spec refers to must exist.</summary>
internal static class SecretChecks
{
    /// <summary>
    /// The secrets the spec refers to that do not exist, by name, and one problem per variable that refers to one, at
    /// the reference, as the parser reports its own; both empty when every secret exists.
    /// </summary>
    public static async Task<(IReadOnlyList<string> Names, IReadOnlyList<SpecProblem> Problems)> MissingAsync(ISecretStore secrets, SpecParseResult parsed, CancellationToken cancellationToken)
    {
        if (!parsed.IsValid || parsed.Spec.SecretEnv.Count == 0)
        {
            return ([], []);
        }

        var existing = await secrets.ExistingAsync(parsed.Spec.SecretEnv.Values, cancellationToken);
        var missing = parsed.Spec.SecretEnv.Where(e => !existing.Contains(e.Value)).ToList();
        return (
            [.. missing.Select(e => e.Value.Value).Distinct().Order(StringComparer.Ordinal)],
            [.. missing.Select(e => parsed.ProblemAt($"env.{e.Key}", "secret.missing", $"secret '{e.Value}' does not exist; set it first with 'workers secret set {e.Value}'"))]);
    }
}
