using Workers.Contracts.Spec;

namespace Workers.Functions.Tests.Support;

internal static class Specs
{
    public const string Image = "workers-test/httpd:1";

    /// <summary>Parses a spec that the test means to be valid; the problems are the failure message otherwise.</summary>
    public static DeploymentSpec Parse(string yaml)
    {
        var result = SpecParser.Parse(yaml, "test.yaml");
        Assert.True(result.IsValid, string.Join(Environment.NewLine, result.Problems));
        return result.Spec!;
    }

    /// <summary>A spec with <paramref name="replicas"/> replicas and the given YAML lines appended at the top level.</summary>
    public static DeploymentSpec Make(string name, int replicas, string extra = "") =>
        Parse(Text(name, replicas, extra));

    public static string Text(string name, int replicas, string extra = "") =>
        $"name: {name}\nimage: {Image}\nreplicas: {replicas}\n{extra}";

    /// <summary>A unique deployment name, so that tests sharing a database do not see each other.</summary>
    public static string UniqueName(string prefix) => $"{prefix}-{Guid.NewGuid():N}"[..Math.Min(63, prefix.Length + 13)];
}
