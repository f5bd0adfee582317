using BenchmarkDotNet.Attributes;
using Workers.Contracts.Spec;

namespace Workers.Micro;

/// <summary>A typical spec (examples/web.yaml, every field used) parsed and validated from YAML and from the same spec in JSON.</summary>
[MemoryDiagnoser]
public class SpecParsing
{
    private byte[] _yaml = [];
    private byte[] _json = [];

    [GlobalSetup]
    public void Setup()
    {
        _yaml = File.ReadAllBytes(Repository.File("examples", "web.yaml"));
        var spec = SpecParser.Parse(_yaml, "web.yaml").Spec ?? throw new InvalidOperationException("examples/web.yaml is not valid");
        _json = System.Text.Encoding.UTF8.GetBytes(SpecWriter.ToJson(spec));
    }

    [Benchmark(Baseline = true)]
    public DeploymentSpec? Yaml() => SpecParser.Parse(_yaml, "web.yaml").Spec;

    [Benchmark]
    public DeploymentSpec? Json() => SpecParser.Parse(_json, "web.json").Spec;
}
