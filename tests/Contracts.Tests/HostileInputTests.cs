using System.Text;
using Workers.Contracts.Spec;
using static Workers.Contracts.Tests.SpecAssert;

namespace Workers.Contracts.Tests;

/// <summary>
/// Input nobody should write: each case must come back as problems, never as an exception, and quickly. The inputs
/// are sized so that an unbounded expansion or a quadratic walk would be obvious (minutes, or out of memory).
/// </summary>
public sealed class HostileInputTests
{
    private static SpecParseResult Bytes(byte[] bytes, string file = "spec.yaml") => SpecParser.Parse(bytes, file);

    // ---- not a spec at all ---------------------------------------------------------------------------------

    [Theory]
    [InlineData("this is: not: valid: [yaml\n")]
    [InlineData("key: 'unterminated\n")]
    [InlineData("{a: b\n")]
    [InlineData("a: b\n c: d\n- e\n")]
    public void Parse_MalformedYaml_ReportsDocumentSyntax(string yaml)
    {
        var problem = Only(Yaml(yaml), "document.syntax", "$");

        Assert.True(problem.Line >= 1 && problem.Column >= 1, problem.ToString());
        Assert.StartsWith("not valid YAML: ", problem.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(":\n[\nc")]
    [InlineData("!![")]
    [InlineData("... [")]
    [InlineData("name: \"\\uD800\\u0041\"\n")]
    [InlineData("name: \"\\UFFFFFFFF\"\n")]
    [InlineData("name: \"\\uDE00\\uD83D\"\n")]
    public void Parse_YamlThatCrashesTheScanner_ReportsDocumentSyntaxInsteadOfThrowing(string yaml)
    {
        // YamlDotNet throws InvalidOperationException or ArgumentException (not YamlException) for these.
        var problem = Only(Yaml(yaml), "document.syntax", "$");

        Assert.True(problem.Line >= 1 && problem.Column >= 1, problem.ToString());
    }

    [Theory]
    [InlineData("{\"name\": \"web\",}")]
    [InlineData("{\"name\": 'web'}")]
    [InlineData("{\"name\": \"web\"} {}")]
    [InlineData("name: web")]
    [InlineData("{\"name\": \"web\"")]
    public void Parse_MalformedJson_ReportsDocumentSyntax(string json) =>
        Assert.StartsWith("not valid JSON: ", Only(Json(json), "document.syntax", "$").Message, StringComparison.Ordinal);

    [Fact]
    public void Parse_Prose_ReportsTypeMismatchAtRoot() =>
        Only(Yaml("Dear operator, please deploy the web server on three hosts.\n"), "type.mismatch", "$", 1, 1);

    [Fact]
    public void Parse_JsonUnpairedSurrogateEscape_ReportsDocumentSyntaxInsteadOfThrowing()
    {
        var problem = Only(Json("{\"name\": \"web\",\n \"image\": \"\\uD800\"}"), "document.syntax", "$", 2, 11);

        Assert.Contains("surrogate", problem.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5)]
    public void Parse_RandomBinary_ReportsProblems(int seed)
    {
        var bytes = new byte[64 * 1024];
        new Random(seed).NextBytes(bytes);

        var result = Bytes(bytes);

        Assert.False(result.IsValid);
        Assert.NotEmpty(result.Problems);
        Assert.All(result.Problems, p => Assert.Equal("spec.yaml", p.File));
    }

    [Theory]
    [InlineData(1, "spec.yaml")]
    [InlineData(2, "spec.yaml")]
    [InlineData(3, "spec.json")]
    [InlineData(4, "spec.json")]
    public void Parse_RandomSyntaxCharacters_ReportsProblems(int seed, string file)
    {
        // Text (so it reaches the parsers) made of the characters that drive YAML and JSON.
        const string alphabet = "{}[]:,-&*!|>'\"%@#?~ \n\t\\abc019.";
        var random = new Random(seed);
        var text = new string([.. Enumerable.Range(0, 32 * 1024).Select(_ => alphabet[random.Next(alphabet.Length)])]);

        var result = SpecParser.Parse(text, file);

        Assert.False(result.IsValid);
        Assert.NotEmpty(result.Problems);
    }

    // ---- encoding ------------------------------------------------------------------------------------------

    [Fact]
    public void Parse_InvalidUtf8_ReportsDocumentEncodingAtTheBadByte() =>
        Only(Bytes("name: web\nimage: ng"u8.ToArray().Append((byte)0xFF).Concat("inx\n"u8.ToArray()).ToArray()), "document.encoding", "$", 2, 10);

    [Fact]
    public void Parse_TruncatedUtf8SequenceAfterMultiByteCharacters_ColumnCountsCharacters()
    {
        // "wé€" is 3 characters but 6 bytes; the lone lead byte 0xC3 that follows is the 10th character of the line.
        var bytes = "name: wé€"u8.ToArray().Append((byte)0xC3).Concat("x\nimage: nginx\n"u8.ToArray()).ToArray();

        Only(Bytes(bytes), "document.encoding", "$", 1, 10);
    }

    [Fact]
    public void Parse_InvalidUtf8InJson_ReportsDocumentEncoding() =>
        Only(Bytes([.. "{\"name\": \""u8, 0xC0, 0x80, .. "\"}"u8], "spec.json"), "document.encoding", "$", 1, 11);

    [Fact]
    public void Parse_ByteOrderMark_Accepted() =>
        Valid(Bytes([0xEF, 0xBB, 0xBF, .. "name: web\nimage: nginx\n"u8]));

    [Fact]
    public void Parse_NulAtEndOfLineInYaml_ReportsDocumentSyntaxInsteadOfDroppingIt()
    {
        var problem = Only(Bytes([.. "name: web"u8, 0x00, .. "\nimage: nginx\n"u8]), "document.syntax", "$", 1, 10);

        Assert.Contains("U+0000", problem.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_NulOnOwnLineInYaml_ReportsDocumentSyntax() =>
        Only(Bytes([.. "name: web\nimage: nginx\n"u8, 0x00, .. "\nreplicas: 2\n"u8]), "document.syntax", "$", 3, 1);

    [Fact]
    public void Parse_NulInsideJsonString_ReportsDocumentSyntax() =>
        Only(Bytes([.. "{\"name\": \"we"u8, 0x00, .. "b\"}"u8], "spec.json"), "document.syntax", "$", 1, 13);

    [Fact]
    public void Parse_OtherControlCharacterInYaml_ReportsDocumentSyntax() =>
        Assert.Contains("U+001B", Only(Yaml("name: web\nimage: nginx\nenv: {A: \"\u001b[31m\"}\n"), "document.syntax", "$", 3, 11).Message, StringComparison.Ordinal);

    [Fact]
    public void Parse_TabsAsIndentation_ReportsDocumentSyntax() =>
        Only(Yaml("name: web\nimage: nginx\nenv:\n\tA: b\n"), "document.syntax", "$");

    [Fact]
    public void Parse_TabsBetweenTokens_Accepted() =>
        Assert.Equal("b", Valid(Yaml("name:\tweb\nimage: nginx\nenv: {A:\tb}\n")).Env["A"]);

    // ---- size ----------------------------------------------------------------------------------------------

    [Fact]
    public void Parse_LargerThanOneMebibyte_ReportsTooLargeUnread()
    {
        // Syntax errors everywhere: if the size check were gone, the parser would report those instead.
        var bytes = new byte[SpecParser.MaxBytes + 1];
        bytes.AsSpan().Fill((byte)'[');

        var problem = Only(Bytes(bytes), "document.too-large", "$", 1, 1);
        Assert.Contains("1 MiB", problem.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_HundredMegabytes_ReportsTooLarge()
    {
        var bytes = new byte[100 * 1024 * 1024];

        Only(Bytes(bytes), "document.too-large", "$", 1, 1);
    }

    [Fact]
    public void Parse_ExactlyOneMebibyte_IsStillRead()
    {
        var spec = Encoding.UTF8.GetBytes(Minimal);
        var padding = new string('#', SpecParser.MaxBytes - spec.Length - 1) + "\n";

        Valid(SpecParser.Parse(Encoding.UTF8.GetBytes(padding).Concat(spec).ToArray(), "spec.yaml"));
    }

    [Fact]
    public void Parse_HalfMegabyteStringValue_KeptWhole()
    {
        var big = new string('x', 500 * 1024);

        Assert.Equal(big, Valid(Yaml(Minimal + $"env:\n  BIG: \"{big}\"\n")).Env["BIG"]);
    }

    [Fact]
    public void Parse_HalfMegabyteInvalidName_ReportsShortMessage()
    {
        var problem = Only(Yaml($"name: {new string('A', 500 * 1024)}\nimage: nginx\n"), "name.invalid", "name", 1, 7);

        Assert.True(problem.Message.Length < 200, $"message of {problem.Message.Length} characters");
    }

    [Fact]
    public void Parse_HugeUnknownKey_ShortensPathAndMessage()
    {
        var key = new string('k', 100_000);
        var problem = Only(Json($"{{\"name\": \"web\", \"image\": \"nginx\",\n \"{key}.\": 1}}"), "field.unknown", "$[\"" + new string('k', 64) + "…\"]", 2, 2);

        Assert.True(problem.Message.Length < 300, $"message of {problem.Message.Length} characters");
    }

    [Fact]
    public void Parse_ManyDuplicateKeys_CapsProblemList()
    {
        var result = Yaml(Minimal + string.Concat(Enumerable.Repeat("name: web\n", 50_000)));

        Assert.Equal(1001, result.Problems.Count);
        Assert.All(result.Problems.Take(1000), p => Assert.Equal(("document.duplicate-key", "name"), (p.Code, p.Path)));
        Assert.Equal("document.too-many-problems", result.Problems[^1].Code);
    }

    // ---- aliases -------------------------------------------------------------------------------------------

    [Fact]
    public void Parse_BillionLaughs_ReportsTooLargeWithoutExpanding()
    {
        // 9 levels of 9 aliases: 9^9 (387 million) strings if expanded.
        var yaml = new StringBuilder("l0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
        for (var level = 1; level <= 9; level++)
        {
            yaml.Append($"l{level}: &l{level} [").AppendJoin(", ", Enumerable.Repeat($"*l{level - 1}", 9)).Append("]\n");
        }

        var problem = Only(Yaml(yaml.ToString()), "document.too-large", "l6", 7, 5);
        Assert.Contains("aliases expand", problem.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_BillionLaughsInsideSpecField_ReportsTooLarge()
    {
        var yaml = new StringBuilder(Minimal).Append("command: &c0 [a, a, a, a, a, a, a, a, a, a]\n");
        for (var level = 1; level <= 9; level++)
        {
            yaml.Append($"x{level}: &c{level} [").AppendJoin(", ", Enumerable.Repeat($"*c{level - 1}", 10)).Append("]\n");
        }

        Assert.Equal("document.too-large", Assert.Single(Yaml(yaml.ToString()).Problems).Code);
    }

    [Fact]
    public void Parse_AliasReferringToItself_ReportsDocumentAlias()
    {
        var problem = Only(Yaml(Minimal + "command: &loop [a, *loop]\n"), "document.alias", "$", 3, 20);

        Assert.Contains("*loop", problem.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_AliasToUnknownAnchor_ReportsDocumentAlias() =>
        Only(Yaml(Minimal + "replicas: *nothing\n"), "document.alias", "$", 3, 11);

    [Fact]
    public void Parse_AliasesWithinLimits_ResolveToTheAnchoredValue()
    {
        var spec = Valid(Yaml(Minimal + "ports: [{container: &port 8080}]\nhealthCheck: {tcp: {port: *port}}\ncommand: &cmd [a, b]\nenv: {A: *port}\n"));

        Assert.Equal(Port.From(8080), Assert.IsType<TcpProbe>(spec.HealthCheck!.Probe).Port);
        Assert.Equal("8080", spec.Env["A"]);
    }

    [Fact]
    public void Parse_AliasedMapOfWrongShape_ReportsAtAliasedPathOnce()
    {
        var result = Yaml(Minimal + "ports: &p [{container: 0}]\nplacement: {hosts: *p}\n");

        Assert.Contains(result.Problems, p => (p.Path, p.Code) == ("ports[0].container", "port.range"));
        Assert.Contains(result.Problems, p => (p.Path, p.Code) == ("placement.hosts[0]", "type.mismatch"));
    }

    // ---- nesting -------------------------------------------------------------------------------------------

    [Fact]
    public void Parse_YamlFlowNestedThousandLevels_ReportsDocumentDepth()
    {
        var yaml = new string('[', 1000) + new string(']', 1000) + "\n";

        var problem = Only(Yaml(yaml), "document.depth", "$" + string.Concat(Enumerable.Repeat("[0]", 64)), 1, 65);
        Assert.Contains("64", problem.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_YamlBlockNestedThousandLevels_ReportsDocumentDepth()
    {
        var yaml = string.Concat(Enumerable.Range(0, 1000).Select(i => new string(' ', 2 * i) + $"k{i}:\n"));

        var problem = Only(Yaml(yaml), "document.depth", string.Join('.', Enumerable.Range(0, 64).Select(i => $"k{i}")));
        Assert.Equal((65, 129), (problem.Line, problem.Column));
    }

    [Fact]
    public void Parse_YamlBlockSequencesNestedThousandLevels_ReportsDocumentDepth()
    {
        var yaml = string.Concat(Enumerable.Range(0, 1000).Select(i => new string(' ', 2 * i) + "-\n"));

        Assert.Equal("document.depth", Assert.Single(Yaml(yaml).Problems).Code);
    }

    [Fact]
    public void Parse_JsonNestedThousandLevels_ReportsDocumentDepth() =>
        Only(Json(new string('[', 1000) + new string(']', 1000)), "document.depth", "$" + string.Concat(Enumerable.Repeat("[0]", 64)), 1, 65);

    [Fact]
    public void Parse_JsonObjectsNestedThousandLevelsUnderAField_ReportsDepthWithFieldPath()
    {
        var json = "{\"name\": " + string.Concat(Enumerable.Repeat("{\"a\": ", 1000)) + "1" + new string('}', 1001);

        var problem = Only(Json(json), "document.depth", "name" + string.Concat(Enumerable.Repeat(".a", 63)));
        Assert.Equal(1, problem.Line);
    }

    [Fact]
    public void Parse_NestedExactlyAtLimit_IsReadAndReportedByType()
    {
        var yaml = new string('[', 64) + new string(']', 64) + "\n";

        Only(Yaml(yaml), "type.mismatch", "$", 1, 1);
    }

    [Fact]
    public void Parse_NestedOneBeyondLimit_ReportsDocumentDepth() =>
        Only(Yaml(new string('[', 65) + new string(']', 65) + "\n"), "document.depth", "$" + string.Concat(Enumerable.Repeat("[0]", 64)), 1, 65);

    // ---- numbers, documents --------------------------------------------------------------------------------

    [Theory]
    [InlineData("99999999999999999999999")]
    [InlineData("9223372036854775808")]
    [InlineData("-9223372036854775809")]
    public void Parse_ReplicasPastSixtyFourBits_ReportsNumberOverflow(string number) =>
        Only(Yaml(Minimal + $"replicas: {number}\n"), "number.overflow", "replicas", 3, 11);

    [Fact]
    public void Parse_ReplicasPastSixtyFourBitsJson_ReportsNumberOverflow() =>
        Only(Json("{\"name\": \"web\", \"image\": \"nginx\", \"replicas\": 184467440737095516160}"), "number.overflow", "replicas", 1, 47);

    [Fact]
    public void Parse_ReplicasLongMaxValue_ReportsRangeNotOverflow() =>
        Only(Yaml(Minimal + "replicas: 9223372036854775807\n"), "replicas.range", "replicas", 3, 11);

    [Fact]
    public void Parse_PortPastSixtyFourBits_ReportsNumberOverflow()
    {
        var result = Yaml(Minimal + "ports: [{container: 1e400}, {container: 99999999999999999999}]\n");

        Assert.Equal(2, result.Problems.Count);
        At(result, "ports[0].container", "type.mismatch");
        At(result, "ports[1].container", "number.overflow");
    }

    [Fact]
    public void Parse_JsonExponentNumber_ReportsTypeMismatch() =>
        Only(Json("{\"name\": \"web\", \"image\": \"nginx\", \"replicas\": 1e400}"), "type.mismatch", "replicas", 1, 47);

    [Fact]
    public void Parse_TwoYamlDocuments_ReportsDocumentMultipleAtSecond()
    {
        var problem = Only(Yaml(Minimal + "---\nname: api\nimage: nginx\n"), "document.multiple", "$", 3, 1);

        Assert.Contains("one YAML document", problem.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_ManyYamlDocuments_ReportsOnce() =>
        Only(Yaml(string.Concat(Enumerable.Repeat("---\n" + Minimal, 10_000))), "document.multiple", "$", 4, 1);

    [Fact]
    public void Parse_ComplexMapKey_ReportsDocumentKey() =>
        Only(Yaml(Minimal + "? [a, b]\n: c\n"), "document.key", "$", 3, 3);
}
