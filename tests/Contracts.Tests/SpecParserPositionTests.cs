using Workers.Contracts.Spec;
using static Workers.Contracts.Tests.SpecAssert;

namespace Workers.Contracts.Tests;

/// <summary>Every problem points at the node at fault: 1-based line and column, counted in characters.</summary>
public sealed class SpecParserPositionTests
{
    private static (int Line, int Column) PositionOf(SpecParseResult result, string path)
    {
        var problem = Assert.Single(result.Problems, p => p.Path == path);
        return (problem.Line, problem.Column);
    }

    [Fact]
    public void Parse_YamlBlockStyle_PointsAtEachValue()
    {
        var result = Yaml("""
            name: web
            image: nginx
            replicas: 0
            ports:
              - container: 8080
              -   container: 70000
                  host: 0
            resources:
                memory: 1Ki
            """);

        Assert.Equal(4, result.Problems.Count);
        Assert.Equal((3, 11), PositionOf(result, "replicas"));
        Assert.Equal((6, 18), PositionOf(result, "ports[1].container"));
        Assert.Equal((7, 13), PositionOf(result, "ports[1].host"));
        Assert.Equal((9, 13), PositionOf(result, "resources.memory"));
    }

    [Fact]
    public void Parse_YamlFlowStyle_PointsAtEachValue()
    {
        var result = Yaml("{name: web, image: nginx, replicas: 0, ports: [{container: 8080}, {container: 70000, host: 0}],\n  env: {1X: y}}\n");

        Assert.Equal(4, result.Problems.Count);
        Assert.Equal((1, 37), PositionOf(result, "replicas"));
        Assert.Equal((1, 79), PositionOf(result, "ports[1].container"));
        Assert.Equal((1, 92), PositionOf(result, "ports[1].host"));
        Assert.Equal((2, 9), PositionOf(result, "env[\"1X\"]"));
    }

    [Fact]
    public void Parse_YamlKeyProblems_PointAtTheKey()
    {
        var result = Yaml("name: web\nimage: nginx\n\n   # comment\nreplica: 2\nenv:\n    1X: y\n");

        Assert.Equal((5, 1), PositionOf(result, "replica"));
        Assert.Equal((7, 5), PositionOf(result, "env[\"1X\"]"));
    }

    [Fact]
    public void Parse_YamlMultiByteCharactersBeforeProblem_CountsCharactersNotBytes()
    {
        // 'é' is 2 bytes and '€' 3 bytes in UTF-8, one character each.
        var result = Yaml("name: web\nimage: nginx\nenv:\n  A: \"é€é€\"\nports: [{container: 1}]\nplacement: {labels: {a: \"é€\", b: c d}}\n");

        Assert.Equal((6, 25), PositionOf(result, "placement.labels.a"));
        Assert.Equal((6, 34), PositionOf(result, "placement.labels.b"));
    }

    [Fact]
    public void Parse_YamlCrLfLineEnds_CountsLinesOnce()
    {
        var result = Yaml("name: web\r\nimage: nginx\r\nreplicas: 0\r\n");

        Assert.Equal((3, 11), PositionOf(result, "replicas"));
    }

    [Fact]
    public void Parse_YamlSyntaxError_ReportsWhereTheParserStopped()
    {
        var problem = Only(Yaml("name: web\nimage: nginx\nenv:\n  A: [b\n"), "document.syntax", "$");

        Assert.True(problem.Line >= 4, $"line {problem.Line}");
        Assert.StartsWith("not valid YAML", problem.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("Line:", problem.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_JsonMultiLine_PointsAtEachValueAndKey()
    {
        var result = Json("""
            {
              "name": "web",
              "image": "nginx",
              "replicas": 0,
              "ports": [
                { "container": 8080 },
                { "container": 70000, "host": 0 }
              ],
              "env": { "1X": "y" },
              "replica": 1
            }
            """);

        Assert.Equal(5, result.Problems.Count);
        Assert.Equal((4, 15), PositionOf(result, "replicas"));
        Assert.Equal((7, 20), PositionOf(result, "ports[1].container"));
        Assert.Equal((7, 35), PositionOf(result, "ports[1].host"));
        Assert.Equal((9, 12), PositionOf(result, "env[\"1X\"]"));
        Assert.Equal((10, 3), PositionOf(result, "replica"));
    }

    [Fact]
    public void Parse_JsonOneLine_ColumnsAreOffsetsPlusOne()
    {
        const string json = """{"name":"web","image":"nginx","replicas":0,"ports":[{"container":70000}],"resources":{"cpu":"0"}}""";
        var result = Json(json);

        Assert.Equal(3, result.Problems.Count);
        Assert.Equal((1, json.IndexOf(":0", StringComparison.Ordinal) + 2), PositionOf(result, "replicas"));
        Assert.Equal((1, json.IndexOf("70000", StringComparison.Ordinal) + 1), PositionOf(result, "ports[0].container"));
        Assert.Equal((1, json.IndexOf("\"0\"", StringComparison.Ordinal) + 1), PositionOf(result, "resources.cpu"));
    }

    [Fact]
    public void Parse_JsonMultiByteCharactersBeforeProblem_CountsCharactersNotBytes()
    {
        // 'é' is 2 bytes and '€' 3 bytes in UTF-8; columns must count them as one character each.
        const string json = """{"env": {"A": "ééé€€€"}, "name": "wéb", "image": "nginx", "replicas": 0}""";
        var result = Json(json);

        Assert.Equal(2, result.Problems.Count);
        Assert.Equal((1, json.IndexOf("\"wéb\"", StringComparison.Ordinal) + 1), PositionOf(result, "name"));
        Assert.Equal((1, json.IndexOf(": 0", StringComparison.Ordinal) + 3), PositionOf(result, "replicas"));
        Assert.Equal((1, 71), PositionOf(result, "replicas"));
    }

    [Fact]
    public void Parse_JsonSyntaxErrorAfterMultiByteCharacters_CountsCharactersNotBytes()
    {
        const string json = "{\n  \"name\": \"é€é€\",\n  \"image\": }";
        var problem = Only(Json(json), "document.syntax", "$");

        Assert.Equal((3, 12), (problem.Line, problem.Column));
        Assert.StartsWith("not valid JSON", problem.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("LineNumber", problem.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_JsonSyntaxErrorOnOneLineWithMultiByteCharacters_PointsAtTheOffendingCharacter()
    {
        const string json = """{"name": "ééé€€€", "image": ]""";
        var problem = Only(Json(json), "document.syntax", "$");

        Assert.Equal((1, json.IndexOf(']', StringComparison.Ordinal) + 1), (problem.Line, problem.Column));
    }

    [Fact]
    public void Parse_JsonWithByteOrderMark_ColumnsIgnoreTheMark()
    {
        var bytes = "\uFEFF{\"name\": \"web\", \"image\": \"nginx\", \"replicas\": 0}"u8.ToArray();
        var result = SpecParser.Parse(bytes, "spec.json");

        Assert.Equal((1, 47), PositionOf(result, "replicas"));
    }

    [Fact]
    public void Parse_SameMistakeInYamlAndJson_ReportsSamePath()
    {
        var yaml = Yaml("name: web\nimage: nginx\nports:\n  - container: 80\n    host: 99999\n");
        var json = Json("{\"name\": \"web\", \"image\": \"nginx\", \"ports\": [{\"container\": 80, \"host\": 99999}]}");

        Assert.Equal(Only(yaml, "port.range", "ports[0].host").Message, Only(json, "port.range", "ports[0].host").Message);
    }

    [Fact]
    public void Parse_ProblemsFromDifferentLines_ListedInDocumentOrder()
    {
        var result = Yaml("update: {maxSurge: -1}\nreplicas: 0\nname: Web\nimage: nginx\n");

        Assert.Equal(["update.maxSurge", "replicas", "name"], result.Problems.Select(p => p.Path));
        Assert.Equal([1, 2, 3], result.Problems.Select(p => p.Line));
    }
}
