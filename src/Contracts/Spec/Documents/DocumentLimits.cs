namespace Workers.Contracts.Spec.Documents;

/// <summary>Bounds that keep hostile documents from costing unbounded time or memory.</summary>
internal static class DocumentLimits
{
    /// <summary>A spec larger than this is refused before it is parsed.</summary>
    public const int MaxBytes = 1024 * 1024;

    /// <summary>Nesting deeper than this is refused; a valid spec nests at most five levels.</summary>
    public const int MaxDepth = 64;

    /// <summary>Problems past this count are summarised in one last problem.</summary>
    public const int MaxProblems = 1000;
}
