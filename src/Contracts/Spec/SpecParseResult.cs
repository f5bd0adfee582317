using System.Diagnostics.CodeAnalysis;

namespace Workers.Contracts.Spec;

/// <summary>Either a valid spec or every problem that keeps the document from being one.</summary>
public sealed record SpecParseResult
{
    private SpecParseResult(DeploymentSpec? spec, IReadOnlyList<SpecProblem> problems) => (Spec, Problems) = (spec, problems);

    /// <summary>The spec, when the document is valid.</summary>
    public DeploymentSpec? Spec { get; }

    /// <summary>Every problem found; empty when the document is valid.</summary>
    public IReadOnlyList<SpecProblem> Problems { get; }

    /// <summary>True when <see cref="Spec"/> holds a spec.</summary>
    [MemberNotNullWhen(true, nameof(Spec))]
    public bool IsValid => Spec is not null;

    internal static SpecParseResult Valid(DeploymentSpec spec) => new(spec, []);

    internal static SpecParseResult Invalid(IReadOnlyList<SpecProblem> problems) => new(null, problems);
}
