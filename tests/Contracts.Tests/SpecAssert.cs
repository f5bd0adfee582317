using Workers.Contracts.Spec;

namespace Workers.Contracts.Tests;

/// <summary>Parsing shortcuts and assertions shared by the spec tests.</summary>
internal static class SpecAssert
{
    /// <summary>The two keys every spec needs, so a test can add only what it is about.</summary>
    public const string Minimal = "name: web\nimage: nginx\n";

    public static SpecParseResult Yaml(string text) => SpecParser.Parse(text, "spec.yaml", SpecFormat.Yaml);

    public static SpecParseResult Json(string text) => SpecParser.Parse(text, "spec.json", SpecFormat.Json);

    public static DeploymentSpec Valid(SpecParseResult result)
    {
        Assert.True(result.IsValid, "expected a valid spec, got: " + string.Join("; ", result.Problems));
        Assert.Empty(result.Problems);
        return result.Spec;
    }

    /// <summary>Asserts that the document has exactly one problem, with this code and path, and returns it.</summary>
    public static SpecProblem Only(SpecParseResult result, string code, string path)
    {
        Assert.False(result.IsValid);
        var problem = Assert.Single(result.Problems);
        Assert.Equal((code, path), (problem.Code, problem.Path));
        return problem;
    }

    /// <summary>Asserts exactly one problem with this code, path, line and column.</summary>
    public static SpecProblem Only(SpecParseResult result, string code, string path, int line, int column)
    {
        var problem = Only(result, code, path);
        Assert.Equal((line, column), (problem.Line, problem.Column));
        return problem;
    }

    /// <summary>Asserts that among several problems there is exactly one at <paramref name="path"/>, with this code.</summary>
    public static SpecProblem At(SpecParseResult result, string path, string code)
    {
        Assert.False(result.IsValid);
        var problem = Assert.Single(result.Problems, p => p.Path == path);
        Assert.Equal(code, problem.Code);
        return problem;
    }
}
