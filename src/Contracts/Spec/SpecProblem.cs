namespace Workers.Contracts.Spec;

/// <summary>One problem found in a deployment spec, located precisely enough for an editor to jump to it.</summary>
/// <param name="File">The file the spec came from (<c>-</c> for standard input), or the name given by the sender.</param>
/// <param name="Line">1-based line of the offending node; 0 when the document could not be read at all.</param>
/// <param name="Column">1-based column of the offending node; 0 when the document could not be read at all.</param>
/// <param name="Path">Where in the spec: <c>$</c> for the root, then <c>ports[1].host</c>, <c>env.LOG_LEVEL</c>, ...</param>
/// <param name="Code">A stable identifier of the rule, such as <c>port.range</c>.</param>
/// <param name="Message">What is wrong, for a person.</param>
public sealed record SpecProblem(string File, int Line, int Column, string Path, string Code, string Message)
{
    /// <summary>The one-line form <c>FILE:LINE:COLUMN: PATH: MESSAGE</c>.</summary>
    public override string ToString() => $"{File}:{Line}:{Column}: {Path}: {Message}";
}
