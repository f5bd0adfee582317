using System.Diagnostics.CodeAnalysis;

namespace Workers.Contracts.Spec;

/// <summary>Either a valid spec or every problem that keeps the document from being one.</summary>
public sealed record SpecParseResult
{
    private static readonly IReadOnlyDictionary<string, (int Line, int Column)> NoLocations = new Dictionary<string, (int, int)>();

    private readonly string _file;
    private readonly IReadOnlyDictionary<string, (int Line, int Column)> _locations;

    private SpecParseResult(DeploymentSpec? spec, IReadOnlyList<SpecProblem> problems, string file, IReadOnlyDictionary<string, (int Line, int Column)> locations) =>
        (Spec, Problems, _file, _locations) = (spec, problems, file, locations);

    /// <summary>The spec, when the document is valid.</summary>
    public DeploymentSpec? Spec { get; }

    /// <summary>Every problem found; empty when the document is valid.</summary>
    public IReadOnlyList<SpecProblem> Problems { get; }

    /// <summary>True when <see cref="Spec"/> holds a spec.</summary>
    [MemberNotNullWhen(true, nameof(Spec))]
    public bool IsValid => Spec is not null;

    /// <summary>
    /// A problem that a check made after parsing found (a secret the spec refers to does not exist), reported like the
    /// parser's own: the file, and the line and column where the secret reference at <paramref name="path"/> (such as
    /// <c>env.DB_PASSWORD</c>) was written; 0 and 0 for a path the parser kept no position of.
    /// </summary>
    /// <param name="path">The path, as problems give it.</param>
    /// <param name="code">A stable identifier of the rule.</param>
    /// <param name="message">What is wrong, for a person.</param>
    public SpecProblem ProblemAt(string path, string code, string message)
    {
        ArgumentNullException.ThrowIfNull(path);
        var (line, column) = _locations.TryGetValue(path, out var at) ? at : (0, 0);
        return new SpecProblem(_file, line, column, path, code, message);
    }

    internal static SpecParseResult Valid(DeploymentSpec spec, string file, IReadOnlyDictionary<string, (int Line, int Column)> locations) => new(spec, [], file, locations);

    internal static SpecParseResult Invalid(IReadOnlyList<SpecProblem> problems) => new(null, problems, string.Empty, NoLocations);
}
