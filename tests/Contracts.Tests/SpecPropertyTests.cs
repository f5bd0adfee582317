using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using CsCheck;
using Workers.Contracts.Spec;

namespace Workers.Contracts.Tests;

/// <summary>Properties over generated specs: round trips, single broken rules, and bytes nobody wrote.</summary>
public sealed class SpecPropertyTests
{
    private const long Iterations = 300;

    private static string Print(DeploymentSpec spec) => SpecWriter.ToYaml(spec);

    private static string Describe(SpecParseResult result) => string.Join("\n", result.Problems);

    // ---- (a) round trips -----------------------------------------------------------------------------------

    [Fact]
    public void Parse_WrittenAsYaml_GivesEqualSpec() =>
        SpecGenerators.Spec.Sample(
            spec =>
            {
                var result = SpecParser.Parse(SpecWriter.ToYaml(spec), "spec.yaml");
                Assert.True(result.IsValid, Describe(result));
                Assert.Equal(spec, result.Spec);
            },
            iter: Iterations,
            print: Print);

    [Fact]
    public void Parse_WrittenAsJson_GivesEqualSpec() =>
        SpecGenerators.Spec.Sample(
            spec =>
            {
                var result = SpecParser.Parse(SpecWriter.ToJson(spec), "spec.json");
                Assert.True(result.IsValid, Describe(result));
                Assert.Equal(spec, result.Spec);
            },
            iter: Iterations,
            print: Print);

    [Fact]
    public void Parse_JsonReadAsYaml_GivesEqualSpec() =>
        SpecGenerators.Spec.Sample(
            spec =>
            {
                // YAML 1.2 is a superset of JSON: the YAML reader must agree with the JSON reader on JSON text.
                var result = SpecParser.Parse(SpecWriter.ToJson(spec), "spec.yaml", SpecFormat.Yaml);
                Assert.True(result.IsValid, Describe(result));
                Assert.Equal(spec, result.Spec);
            },
            iter: Iterations,
            print: Print);

    [Fact]
    public void Serialize_ThroughJsonConverter_DeserializesToEqualSpec() =>
        SpecGenerators.Spec.Sample(
            spec =>
            {
                var json = JsonSerializer.Serialize(spec);
                Assert.Equal(spec, JsonSerializer.Deserialize<DeploymentSpec>(json));
                Assert.Equal(spec, JsonSerializer.Deserialize<DeploymentSpec[]>(JsonSerializer.Serialize(new[] { spec }))![0]);
            },
            iter: Iterations,
            print: Print);

    [Fact]
    public void Write_SameSpecTwice_SameText() =>
        SpecGenerators.Spec.Sample(
            spec =>
            {
                var again = SpecParser.Parse(SpecWriter.ToYaml(spec), "spec.yaml").Spec!;
                Assert.Equal(SpecWriter.ToYaml(spec), SpecWriter.ToYaml(again));
                Assert.Equal(SpecWriter.ToJson(spec), SpecWriter.ToJson(again));
            },
            iter: Iterations,
            print: Print);

    [Fact]
    public void Deserialize_MessageWithInvalidSpec_ThrowsJsonException()
    {
        var exception = Assert.Throws<JsonException>(() => JsonSerializer.Deserialize<DeploymentSpec>("""{"name": "web", "image": "nginx", "replicas": 0}"""));

        Assert.Contains("replicas", exception.Message, StringComparison.Ordinal);
    }

    // ---- (b) one broken rule -------------------------------------------------------------------------------

    private const int MutationKinds = 20;

    private static readonly Gen<(DeploymentSpec Spec, int Kind, int Pick)> Mutated =
        Gen.Select(SpecGenerators.Spec, Gen.Int[0, MutationKinds - 1], Gen.Int[0, 1_000_000]);

    [Fact]
    public void Parse_OneRuleBroken_ReportsExactlyThatPath() =>
        Mutated.Sample(
            sample =>
            {
                var document = JsonNode.Parse(SpecWriter.ToJson(sample.Spec))!.AsObject();
                var (path, code) = Break(document, sample.Spec, sample.Kind, sample.Pick);
                var text = document.ToJsonString();

                foreach (var format in new[] { SpecFormat.Json, SpecFormat.Yaml })
                {
                    var result = SpecParser.Parse(text, "spec", format);
                    Assert.False(result.IsValid, $"{format}: expected {code} at {path}");
                    var problem = Assert.Single(result.Problems);
                    Assert.Equal((path, code), (problem.Path, problem.Code));
                    Assert.True(problem.Line >= 1 && problem.Column >= 1, problem.ToString());
                }
            },
            iter: Iterations,
            print: sample => $"kind {sample.Kind}, pick {sample.Pick}:\n{SpecWriter.ToJson(sample.Spec)}");

    /// <summary>Breaks one rule in the document and says where the problem must be reported.</summary>
    private static (string Path, string Code) Break(JsonObject document, DeploymentSpec spec, int kind, int pick)
    {
        var ports = document["ports"]!.AsArray();
        var health = document["healthCheck"]?.AsObject();
        switch (kind)
        {
            case 0 when ports.Count > 0:
            {
                var i = pick % ports.Count;
                DropHealthCheckOn(document, spec, i);
                ports[i]!["container"] = pick % 2 == 0 ? 0 : 70000;
                return ($"ports[{i}].container", "port.range");
            }

            case 1:
                document["name"] = new[] { "Web", "1web", "web-", "web_app", "", new string('a', 64) }[pick % 6];
                return ("name", "name.invalid");
            case 2:
                document["replicas"] = pick % 2 == 0 ? 0 : DeploymentSpec.MaxReplicas + 1;
                return ("replicas", "replicas.range");
            case 3:
                document["resources"]!["memory"] = new[] { "1Ki", "5Mi", "6291455", "lots" }[pick % 4];
                return ("resources.memory", "memory.invalid");
            case 4:
            {
                // Two new entries with fresh container ports share a host port that no other entry uses.
                var protocol = pick % 2 == 0 ? Protocol.Tcp : Protocol.Udp;
                var name = protocol == Protocol.Tcp ? "tcp" : "udp";
                var containers = Fresh(spec.Ports.Where(p => p.Protocol == protocol).Select(p => p.Container.Value), 2, pick);
                var host = Fresh(spec.Ports.Where(p => p.Protocol == protocol && p.Host is not null).Select(p => p.Host!.Value), 1, pick / 7)[0];
                ports.Add(new JsonObject { ["container"] = containers[0], ["host"] = host, ["protocol"] = name });
                ports.Add(new JsonObject { ["container"] = containers[1], ["host"] = host, ["protocol"] = name });
                return ($"ports[{ports.Count - 1}].host", "port.duplicate-host");
            }

            case 5:
            {
                var targets = new List<(JsonObject Node, string Path)>
                {
                    (document, ""), (document["resources"]!.AsObject(), "resources."), (document["update"]!.AsObject(), "update."),
                    (document["placement"]!.AsObject(), "placement."),
                };
                targets.AddRange(ports.Select((p, i) => (p!.AsObject(), $"ports[{i}].")));
                if (health is not null)
                {
                    targets.Add((health, "healthCheck."));
                }

                var (node, prefix) = targets[pick % targets.Count];
                node["unexpectedKey"] = pick;
                return (prefix + "unexpectedKey", "field.unknown");
            }

            case 6 when health is not null:
                health["timeout"] = pick % 2 == 0
                    ? health["interval"]!.GetValue<string>()
                    : Duration.From(spec.HealthCheck!.Interval.Value + TimeSpan.FromMilliseconds(1 + (pick % 1000))).ToString();
                return ("healthCheck.timeout", "health.timeout");
            case 7:
                document["env"]!["1BAD"] = "x";
                return ("env[\"1BAD\"]", "env.key");
            case 8:
                document["image"] = new[] { "example.com/Team/web", "web:", "web@sha256:0", "UPPER" }[pick % 4];
                return ("image", "image.invalid");
            case 9:
                document["update"]!["maxUnavailable"] = 0;
                document["update"]!["maxSurge"] = 0;
                return ("update", "update.zero");
            case 10 when ports.Count > 0:
            {
                var i = pick % ports.Count;
                DropHealthCheckOn(document, spec, i);
                ports[i]!["protocol"] = "sctp";
                return ($"ports[{i}].protocol", "port.protocol");
            }

            case 11 when health is not null:
                health["retries"] = pick % 2 == 0 ? 0 : 101;
                return ("healthCheck.retries", "health.retries");
            case 12 when spec.Placement.Hosts is { Count: > 0 } hosts:
                document["placement"]!["hosts"]!.AsArray().Add(hosts[pick % hosts.Count].Value);
                return ($"placement.hosts[{hosts.Count}]", "host.duplicate");
            case 12:
                document["placement"]!["hosts"] = new JsonArray();
                return ("placement.hosts", "host.empty");
            case 13:
                document["placement"]!["labels"]!["zone"] = "has space";
                return ("placement.labels.zone", "label.value");
            case 14:
                document["command"] = new JsonArray();
                return ("command", "command.empty");
            case 15:
                document["env"]!["NESTED"] = new JsonArray("a", "b");
                return ("env.NESTED", "type.mismatch");
            case 16:
                document["resources"]!["pids"] = pick % 2 == 0 ? 0 : ResourceLimits.MaxPids + 1;
                return ("resources.pids", "pids.range");
            case 17:
            {
                var capabilities = new JsonArray([.. spec.Capabilities.Select(c => (JsonNode)JsonValue.Create(c.Name)!)]);
                capabilities.Add(new[] { "ALL", "CAP_CHOWN", "net_raw", "SYS_EVERYTHING", "" }[pick % 5]);
                document["capabilities"] = capabilities;
                return ($"capabilities[{spec.Capabilities.Count}]", "capability.invalid");
            }

            case 18 when spec.Capabilities.Count > 0:
            {
                var capabilities = new JsonArray([.. spec.Capabilities.Select(c => (JsonNode)JsonValue.Create(c.Name)!)]);
                capabilities.Add(spec.Capabilities[pick % spec.Capabilities.Count].Name);
                document["capabilities"] = capabilities;
                return ($"capabilities[{spec.Capabilities.Count}]", "capability.duplicate");
            }

            case 19:
                document["user"] = new[] { "", "1000:", ":1000", "a:b:c", "4294967296", "-1", "1user", "has space" }[pick % 8];
                return ("user", "user.invalid");
            default:
                // The chosen rule needs a part this spec lacks (ports, a health check): break a rule every spec has.
                document["replicas"] = "3";
                return ("replicas", "type.mismatch");
        }
    }

    /// <summary>Removes a health check that probes the port of entry <paramref name="index"/>, which is about to break.</summary>
    private static void DropHealthCheckOn(JsonObject document, DeploymentSpec spec, int index)
    {
        var port = spec.Ports[index];
        var probed = spec.HealthCheck?.Probe switch
        {
            HttpProbe http => http.Port,
            TcpProbe tcp => tcp.Port,
            _ => null,
        };
        if (port.Protocol == Protocol.Tcp && port.Container == probed)
        {
            document.Remove("healthCheck");
        }
    }

    private static int[] Fresh(IEnumerable<int> used, int count, int pick)
    {
        var taken = used.ToHashSet();
        return [.. Enumerable.Range(0, Port.Max).Select(i => 1 + ((pick + i) % Port.Max)).Where(p => !taken.Contains(p)).Take(count)];
    }

    // ---- (c) bytes nobody wrote ----------------------------------------------------------------------------

    private static void AssertWellFormed(SpecParseResult result)
    {
        Assert.Equal(result.IsValid, result.Problems.Count == 0);
        Assert.Equal(result.IsValid, result.Spec is not null);
        Assert.All(result.Problems, p =>
        {
            Assert.True(p.Line >= 0 && p.Column >= 0, p.ToString());
            Assert.False(string.IsNullOrEmpty(p.Code));
            Assert.False(string.IsNullOrEmpty(p.Message));
            Assert.StartsWith(p.Path == "$" || p.Path.StartsWith("$[", StringComparison.Ordinal) ? "$" : string.Empty, p.Path, StringComparison.Ordinal);
        });
    }

    [Fact]
    public void Parse_ArbitraryBytes_NeverThrows() =>
        Gen.Select(Gen.Byte.Array[0, 2048], Gen.OneOfConst("spec.yaml", "spec.json", "-"))
            .Sample((bytes, file) => AssertWellFormed(SpecParser.Parse(bytes, file)), iter: 2000);

    [Fact]
    public void Parse_ArbitraryText_NeverThrows() =>
        Gen.Select(Gen.String[Gen.Char["{}[]:,-&*!|>'\"%@#?~ \n\t\\abc019.e"], 0, 400], Gen.OneOfConst("spec.yaml", "spec.json"))
            .Sample((text, file) => AssertWellFormed(SpecParser.Parse(text, file)), iter: 3000);

    private static readonly Gen<(byte[] Document, string File)> MutatedDocument =
        Gen.Select(
            SpecGenerators.Spec,
            Gen.Bool,
            Gen.Select(Gen.Int[0, 2], Gen.Int[0, int.MaxValue], Gen.Byte).Array[1, 8],
            (spec, json, edits) =>
            {
                var bytes = Encoding.UTF8.GetBytes(json ? SpecWriter.ToJson(spec) : SpecWriter.ToYaml(spec)).ToList();
                foreach (var (operation, position, value) in edits)
                {
                    var at = position % (bytes.Count + 1);
                    switch (operation)
                    {
                        case 0 when at < bytes.Count:
                            bytes[at] ^= (byte)(1 << (value % 8));
                            break;
                        case 1:
                            bytes.Insert(at, value);
                            break;
                        case 2 when at < bytes.Count:
                            bytes.RemoveAt(at);
                            break;
                    }
                }

                return (bytes.ToArray(), json ? "spec.json" : "spec.yaml");
            });

    [Fact]
    public void Parse_MutatedValidDocument_NeverThrows() =>
        MutatedDocument.Sample(sample => AssertWellFormed(SpecParser.Parse(sample.Document, sample.File)), iter: 2000);

    [Fact]
    public void Parse_MutatedDocumentRead_AsOtherFormat_NeverThrows() =>
        MutatedDocument.Sample(
            sample => AssertWellFormed(SpecParser.Parse(sample.Document, sample.File, sample.File.EndsWith(".json", StringComparison.Ordinal) ? SpecFormat.Yaml : SpecFormat.Json)),
            iter: 1000);
}
