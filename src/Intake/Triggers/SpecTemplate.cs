using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Workers.Contracts.Spec;

namespace Workers.Intake.Triggers;

/// <summary>
/// A valid spec whose image is replaced per event. The template is parsed once (at start, so that a broken template
/// stops the host); each rendering is parsed again, so what is published is always a spec the pipeline accepts.
/// </summary>
public sealed partial class SpecTemplate
{
    private readonly string _json;

    private SpecTemplate(DeploymentSpec spec, string source) => (_json, Name, Source) = (SpecWriter.ToJson(spec), spec.Name.Value, source);

    /// <summary>The deployment's name.</summary>
    public string Name { get; }

    /// <summary>Where the template came from, for problem reports.</summary>
    public string Source { get; }

    /// <summary>The template, or every problem it has.</summary>
    public static SpecTemplate? Load(string text, string source, out IReadOnlyList<SpecProblem> problems)
    {
        var parsed = SpecParser.Parse(text, source);
        problems = parsed.Problems;
        return parsed.IsValid ? new SpecTemplate(parsed.Spec, source) : null;
    }

    /// <summary>The spec as JSON with <paramref name="image"/> (if any) in place of the template's, checked by the parser.</summary>
    public SpecParseResult Render(string? image, out string specText)
    {
        var node = JsonNode.Parse(_json)!.AsObject();
        if (image is not null)
        {
            node["image"] = image;
        }

        specText = node.ToJsonString();
        return SpecParser.Parse(specText, Source, SpecFormat.Json);
    }

    /// <summary>Fills <c>{name}</c> placeholders; an unknown one is left as it is (and makes the image invalid).</summary>
    public static string Fill(string template, IReadOnlyDictionary<string, string> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        return Placeholder().Replace(template, m => values.TryGetValue(m.Groups[1].Value, out var value) ? value : m.Value);
    }

    /// <summary>The placeholders of <paramref name="template"/> that <paramref name="values"/> has no value for, as written (<c>{tag}</c>).</summary>
    public static IReadOnlyList<string> Unfilled(string template, IReadOnlyDictionary<string, string> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        return [.. Placeholder().Matches(template).Where(m => !values.ContainsKey(m.Groups[1].Value)).Select(m => m.Value).Distinct()];
    }

    [GeneratedRegex(@"\{([a-z_]+)\}", RegexOptions.CultureInvariant, matchTimeoutMilliseconds: 1000)]
    private static partial Regex Placeholder();
}
