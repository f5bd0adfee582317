using System.Text.Json;
using Workers.Contracts.Spec;
using static Workers.Contracts.Tests.SpecAssert;

namespace Workers.Contracts.Tests;

/// <summary>Secret references in <c>env</c>: parsed into their own type, every mistake located, written back as written.</summary>
public sealed class SpecParserSecretTests
{
    private const string WithSecret = Minimal + "env:\n  DB_PASSWORD: { secret: db-password }\n  LOG_LEVEL: info\n";

    [Fact]
    public void Parse_EnvSecretReferenceInYaml_IsASecretNotALiteral()
    {
        var spec = Valid(Yaml(WithSecret));

        Assert.Equal(SecretName.From("db-password"), spec.SecretEnv["DB_PASSWORD"]);
        Assert.True(spec.EnvValues["DB_PASSWORD"].IsSecret);
        Assert.Equal(["LOG_LEVEL"], spec.Env.Keys);
        Assert.Equal("info", spec.Env["LOG_LEVEL"]);
    }

    [Fact]
    public void Parse_EnvSecretReferenceInJson_IsASecretNotALiteral()
    {
        var spec = Valid(Json("""{"name": "web", "image": "nginx", "env": {"DB_PASSWORD": {"secret": "db-password"}, "A": "b"}}"""));

        Assert.Equal("db-password", spec.SecretEnv["DB_PASSWORD"].Value);
        Assert.Equal(["A"], spec.Env.Keys);
    }

    [Fact]
    public void Parse_EnvSecretReferenceInBlockYaml_IsASecret()
    {
        var spec = Valid(Yaml(Minimal + "env:\n  DB_PASSWORD:\n    secret: db-password\n"));

        Assert.Equal("db-password", spec.SecretEnv["DB_PASSWORD"].Value);
        Assert.Empty(spec.Env);
    }

    [Theory]
    [InlineData("Db-Password")]
    [InlineData("db_password")]
    [InlineData("-db")]
    [InlineData("db-")]
    [InlineData("\"\"")]
    public void Parse_SecretNameNotADnsLabel_ReportsSecretInvalidAtTheName(string name) =>
        Only(Yaml(Minimal + $"env:\n  DB_PASSWORD: {{ secret: {name} }}\n"), "secret.invalid", "env.DB_PASSWORD.secret", 4, 26);

    [Fact]
    public void Parse_SecretNameTooLong_ReportsSecretInvalid()
    {
        var problem = Only(Yaml(Minimal + $"env:\n  DB: {{ secret: {new string('a', 64)} }}\n"), "secret.invalid", "env.DB.secret", 4, 17);
        Assert.Contains("at most 63", problem.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_SecretNameNotAString_ReportsTypeMismatch() =>
        Only(Yaml(Minimal + "env:\n  DB: { secret: 3 }\n"), "type.mismatch", "env.DB.secret", 4, 17);

    [Fact]
    public void Parse_SecretReferenceMisspelt_SuggestsSecretAndRequiresIt()
    {
        var result = Yaml(Minimal + "env:\n  DB: { secrte: db-password }\n");

        var unknown = At(result, "env.DB.secrte", "field.unknown");
        Assert.Contains("did you mean 'secret'", unknown.Message, StringComparison.Ordinal);
        Assert.Equal((4, 9), (unknown.Line, unknown.Column));
        At(result, "env.DB.secret", "field.required");
    }

    [Fact]
    public void Parse_SecretReferenceWithAnotherKey_ReportsTheUnknownKey() =>
        Only(Yaml(Minimal + "env:\n  DB: { secret: db, value: x }\n"), "field.unknown", "env.DB.value", 4, 21);

    [Fact]
    public void Parse_EmptyMapAsEnvValue_RequiresSecret() =>
        Only(Yaml(Minimal + "env:\n  DB: {}\n"), "field.required", "env.DB.secret", 4, 7);

    [Fact]
    public void Parse_SecretNameInvalidInJson_ReportsItsPosition() =>
        Only(Json("{\"name\": \"web\", \"image\": \"nginx\",\n \"env\": {\"DB\": {\"secret\": \"NO\"}}}"), "secret.invalid", "env.DB.secret", 2, 27);

    [Fact]
    public void ProblemAt_SecretReferencePath_PointsAtTheSecretsName()
    {
        var result = Yaml(WithSecret);

        var problem = result.ProblemAt("env.DB_PASSWORD", "secret.missing", "no such secret");

        Assert.Equal(new SpecProblem("spec.yaml", 4, 26, "env.DB_PASSWORD", "secret.missing", "no such secret"), problem);
    }

    [Fact]
    public void ProblemAt_PathWithoutAPosition_ReportsLineZero()
    {
        var problem = Yaml(WithSecret).ProblemAt("env.LOG_LEVEL", "x", "y");

        Assert.Equal((0, 0), (problem.Line, problem.Column));
    }

    [Fact]
    public void Write_SpecWithSecret_RoundTripsThroughJsonAndYaml()
    {
        var spec = Valid(Yaml(WithSecret));

        Assert.Equal(spec, Valid(Json(SpecWriter.ToJson(spec))));
        Assert.Equal(spec, Valid(Yaml(SpecWriter.ToYaml(spec))));
        using var json = JsonDocument.Parse(SpecWriter.ToJson(spec));
        Assert.Equal("db-password", json.RootElement.GetProperty("env").GetProperty("DB_PASSWORD").GetProperty("secret").GetString());
        Assert.Contains("\"DB_PASSWORD\": { secret: \"db-password\" }", SpecWriter.ToYaml(spec), StringComparison.Ordinal);
    }

    [Fact]
    public void Serialize_SpecWithSecret_CarriesOnlyTheName()
    {
        var spec = Valid(Yaml(WithSecret));

        var json = JsonSerializer.Serialize(spec);

        Assert.Contains("{\"secret\":\"db-password\"}", json, StringComparison.Ordinal);
        Assert.Equal(spec, JsonSerializer.Deserialize<DeploymentSpec>(json));
    }

    [Fact]
    public void Equals_SameVariableLiteralOrSecret_Differ() =>
        Assert.NotEqual(Valid(Yaml(Minimal + "env: { DB: db }\n")), Valid(Yaml(Minimal + "env: { DB: { secret: db } }\n")));

    [Theory]
    [InlineData("a")]
    [InlineData("0")]
    [InlineData("db-password")]
    [InlineData("1password")]
    public void SecretNameTryParse_DnsLabel_Accepts(string text) =>
        Assert.True(SecretName.TryParse(text, out _, out _));

    [Fact]
    public void EnvValueToString_SecretReference_ShowsTheNameOnly() =>
        Assert.Equal("{ secret: db-password }", EnvValue.FromSecret(SecretName.From("db-password")).ToString());
}
