using Workers.Contracts.Spec;
using static Workers.Contracts.Tests.SpecAssert;

namespace Workers.Contracts.Tests;

/// <summary>One or more tests per rule of the spec schema; each names the code and the path of the problem.</summary>
public sealed class SpecParserRulesTests
{
    // ---- a complete valid spec --------------------------------------------------------------------------

    [Fact]
    public void Parse_EveryFieldValid_BuildsTypedSpec()
    {
        var spec = Valid(Yaml("""
            name: web
            image: registry.example.com/team/web:1.4.2
            replicas: 3
            command: ["/bin/server", "--port", "8080"]
            env:
              LOG_LEVEL: info
            ports:
              - container: 8080
                host: 18080
                protocol: tcp
              - container: 9090
            resources:
              cpu: "500m"
              memory: "256Mi"
            healthCheck:
              http: { port: 8080, path: /healthz }
              interval: 10s
              timeout: 2s
              retries: 3
            placement:
              labels: { zone: eu-1 }
              hosts: [host-a, host-b]
            update:
              maxUnavailable: 1
              maxSurge: 2
              autoRollback: false
            """));

        Assert.Equal("web", spec.Name.Value);
        Assert.Equal(("registry.example.com", "team/web", "1.4.2"), (spec.Image.Domain, spec.Image.Path, spec.Image.Tag));
        Assert.Equal(3, spec.Replicas);
        Assert.Equal(["/bin/server", "--port", "8080"], spec.Command!);
        Assert.Equal("info", spec.Env["LOG_LEVEL"]);
        Assert.Equal(2, spec.Ports.Count);
        Assert.Equal(new PortMapping(Port.From(8080), Port.From(18080), Protocol.Tcp), spec.Ports[0]);
        Assert.Equal(new PortMapping(Port.From(9090), null, Protocol.Tcp), spec.Ports[1]);
        Assert.Equal(500, spec.Resources.Cpu!.Millicores);
        Assert.Equal(256L * 1024 * 1024, spec.Resources.Memory!.Bytes);
        var health = spec.HealthCheck!;
        Assert.Equal(new HttpProbe(Port.From(8080), "/healthz"), health.Probe);
        Assert.Equal((TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(2), 3), (health.Interval.Value, health.Timeout.Value, health.Retries));
        Assert.Equal("eu-1", spec.Placement.Labels["zone"]);
        Assert.Equal(["host-a", "host-b"], spec.Placement.Hosts!.Select(h => h.Value));
        Assert.Equal((1, 2, false), (spec.Update.MaxUnavailable, spec.Update.MaxSurge, spec.Update.AutoRollback));
    }

    [Fact]
    public void Parse_OnlyNameAndImage_AppliesDefaults()
    {
        var spec = Valid(Yaml(Minimal));

        Assert.Equal(1, spec.Replicas);
        Assert.Null(spec.Command);
        Assert.Empty(spec.Env);
        Assert.Empty(spec.Ports);
        Assert.Equal(ResourceLimits.None, spec.Resources);
        Assert.Null(spec.HealthCheck);
        Assert.Equal(Placement.Anywhere, spec.Placement);
        Assert.Equal(UpdatePolicy.Default, spec.Update);
    }

    // ---- name ----------------------------------------------------------------------------------------------

    [Theory]
    [InlineData("a")]
    [InlineData("web-1")]
    [InlineData("a0-b1-c2")]
    public void Parse_NameIsDnsLabel_Accepted(string name) =>
        Assert.Equal(name, Valid(Yaml($"name: {name}\nimage: nginx\n")).Name.Value);

    [Fact]
    public void Parse_NameOf63Characters_Accepted() =>
        Assert.Equal(63, Valid(Yaml($"name: {new string('a', 63)}\nimage: nginx\n")).Name.Value.Length);

    [Theory]
    [InlineData("Web")]
    [InlineData("1web")]
    [InlineData("-web")]
    [InlineData("web-")]
    [InlineData("web_app")]
    [InlineData("web.app")]
    [InlineData("wéb")]
    [InlineData("\"\"")]
    public void Parse_NameNotDnsLabel_ReportsNameInvalid(string name) =>
        Only(Yaml($"name: {name}\nimage: nginx\n"), "name.invalid", "name", 1, 7);

    [Fact]
    public void Parse_NameOf64Characters_ReportsNameInvalid()
    {
        var problem = Only(Yaml($"name: {new string('a', 64)}\nimage: nginx\n"), "name.invalid", "name", 1, 7);
        Assert.Contains("63", problem.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_NameIsNumber_ReportsTypeMismatch()
    {
        var problem = Only(Yaml("name: 42\nimage: nginx\n"), "type.mismatch", "name", 1, 7);
        Assert.Contains("a string", problem.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_NameMissing_ReportsFieldRequiredAtName() =>
        Only(Yaml("image: nginx\n"), "field.required", "name", 1, 1);

    // ---- image ---------------------------------------------------------------------------------------------

    [Theory]
    [InlineData("nginx")]
    [InlineData("registry.example.com:5000/team/web:1.2")]
    [InlineData("localhost/web@sha256:ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff")]
    public void Parse_ImageValid_KeepsReference(string image) =>
        Assert.Equal(image, Valid(Yaml($"name: web\nimage: {image}\n")).Image.ToString());

    [Theory]
    [InlineData("example.com/Team/web")]
    [InlineData("\"web:\"")]
    [InlineData("web@sha256:abc")]
    [InlineData("\"\"")]
    [InlineData("\"has space\"")]
    public void Parse_ImageInvalid_ReportsImageInvalid(string image) =>
        Only(Yaml($"name: web\nimage: {image}\n"), "image.invalid", "image", 2, 8);

    [Fact]
    public void Parse_ImageMissing_ReportsFieldRequiredAtImage() =>
        Only(Yaml("name: web\n"), "field.required", "image", 1, 1);

    // ---- replicas ------------------------------------------------------------------------------------------

    [Theory]
    [InlineData("1", 1)]
    [InlineData("10000", 10000)]
    [InlineData("007", 7)]
    public void Parse_ReplicasInRange_Accepted(string text, int expected) =>
        Assert.Equal(expected, Valid(Yaml(Minimal + $"replicas: {text}\n")).Replicas);

    [Theory]
    [InlineData("0")]
    [InlineData("-1")]
    [InlineData("10001")]
    public void Parse_ReplicasOutOfRange_ReportsReplicasRange(string text) =>
        Only(Yaml(Minimal + $"replicas: {text}\n"), "replicas.range", "replicas", 3, 11);

    [Theory]
    [InlineData("\"3\"", "a string")]
    [InlineData("'3'", "a string")]
    [InlineData("3.5", "3.5")]
    [InlineData("true", "a boolean")]
    [InlineData("[3]", "a list")]
    [InlineData("three", "a string")]
    [InlineData("0x10", "0x10")]
    public void Parse_ReplicasNotInteger_ReportsTypeMismatch(string text, string described)
    {
        var problem = Only(Yaml(Minimal + $"replicas: {text}\n"), "type.mismatch", "replicas", 3, 11);
        Assert.Contains("integer", problem.Message, StringComparison.Ordinal);
        Assert.Contains(described, problem.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_ReplicasQuotedInJson_ReportsTypeMismatch() =>
        Only(Json("""{"name": "web", "image": "nginx", "replicas": "3"}"""), "type.mismatch", "replicas", 1, 47);

    // ---- command -------------------------------------------------------------------------------------------

    [Fact]
    public void Parse_CommandListOfStrings_KeepsEveryItemAsText() =>
        Assert.Equal(["/bin/sh", "-c", "3", "true", ""], Valid(Yaml(Minimal + "command: [/bin/sh, -c, 3, true, \"\"]\n")).Command!);

    [Fact]
    public void Parse_CommandEmptyList_ReportsCommandEmpty() =>
        Only(Yaml(Minimal + "command: []\n"), "command.empty", "command", 3, 10);

    [Fact]
    public void Parse_CommandPlainString_ReportsTypeMismatch()
    {
        var problem = Only(Yaml(Minimal + "command: /bin/server --port 80\n"), "type.mismatch", "command", 3, 10);
        Assert.Contains("a list", problem.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_CommandItemIsList_ReportsTypeMismatchAtItem() =>
        Only(Yaml(Minimal + "command: [a, [b]]\n"), "type.mismatch", "command[1]", 3, 14);

    [Fact]
    public void Parse_CommandItemIsNull_ReportsTypeMismatchAtItem() =>
        Only(Yaml(Minimal + "command:\n  - a\n  - ~\n"), "type.mismatch", "command[1]", 5, 5);

    // ---- env -----------------------------------------------------------------------------------------------

    [Fact]
    public void Parse_EnvScalars_TakenAsTheirText()
    {
        var env = Valid(Yaml(Minimal + "env:\n  FLAG: true\n  COUNT: 3\n  RATIO: 3.50\n  EMPTY:\n  TILDE: ~\n  TEXT: hello world\n")).Env;

        Assert.Equal("true", env["FLAG"]);
        Assert.Equal("3", env["COUNT"]);
        Assert.Equal("3.50", env["RATIO"]);
        Assert.Equal("", env["EMPTY"]);
        Assert.Equal("", env["TILDE"]);
        Assert.Equal("hello world", env["TEXT"]);
    }

    [Fact]
    public void Parse_EnvJsonScalars_TakenAsTheirText()
    {
        var env = Valid(Json("""{"name": "web", "image": "nginx", "env": {"A": true, "B": 3, "C": null, "_d": "x"}}""")).Env;

        Assert.Equal(("true", "3", "", "x"), (env["A"], env["B"], env["C"], env["_d"]));
    }

    [Theory]
    [InlineData("1BAD", "env[\"1BAD\"]")]
    [InlineData("LOG-LEVEL", "env.LOG-LEVEL")]
    [InlineData("a.b", "env[\"a.b\"]")]
    [InlineData("\"has space\"", "env[\"has space\"]")]
    public void Parse_EnvKeyNotVariableName_ReportsEnvKey(string key, string path) =>
        Only(Yaml(Minimal + $"env:\n  {key}: x\n"), "env.key", path, 4, 3);

    [Fact]
    public void Parse_EnvValueList_ReportsTypeMismatch()
    {
        var problem = Only(Yaml(Minimal + "env:\n  NESTED: [a, b]\n"), "type.mismatch", "env.NESTED", 4, 11);
        Assert.Contains("a list", problem.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_EnvIsList_ReportsTypeMismatch() =>
        Only(Yaml(Minimal + "env: [A=b]\n"), "type.mismatch", "env", 3, 6);

    // ---- ports ---------------------------------------------------------------------------------------------

    [Fact]
    public void Parse_PortWithoutHostOrProtocol_DefaultsToTcpAndNoHost() =>
        Assert.Equal(new PortMapping(Port.From(80), null, Protocol.Tcp), Assert.Single(Valid(Yaml(Minimal + "ports: [{container: 80}]\n")).Ports));

    [Fact]
    public void Parse_PortWithUdp_KeepsProtocol() =>
        Assert.Equal(Protocol.Udp, Assert.Single(Valid(Yaml(Minimal + "ports: [{container: 53, protocol: udp}]\n")).Ports).Protocol);

    [Fact]
    public void Parse_PortContainerMissing_ReportsFieldRequired() =>
        Only(Yaml(Minimal + "ports:\n  - host: 80\n"), "field.required", "ports[0].container", 4, 5);

    [Theory]
    [InlineData("0")]
    [InlineData("65536")]
    [InlineData("70000")]
    [InlineData("-80")]
    public void Parse_PortContainerOutOfRange_ReportsPortRange(string port) =>
        Only(Yaml(Minimal + $"ports:\n  - container: {port}\n"), "port.range", "ports[0].container", 4, 16);

    [Theory]
    [InlineData("0")]
    [InlineData("70000")]
    public void Parse_PortHostOutOfRange_ReportsPortRangeAtHost(string port) =>
        Only(Yaml(Minimal + $"ports:\n  - container: 80\n    host: {port}\n"), "port.range", "ports[0].host", 5, 11);

    [Fact]
    public void Parse_PortBoundaries_Accepted()
    {
        var ports = Valid(Yaml(Minimal + "ports: [{container: 1, host: 65535}, {container: 65535, host: 1}]\n")).Ports;

        Assert.Equal([(1, 65535), (65535, 1)], ports.Select(p => (p.Container.Value, p.Host!.Value)));
    }

    [Fact]
    public void Parse_PortHostQuoted_ReportsTypeMismatch() =>
        Only(Yaml(Minimal + "ports:\n  - container: 80\n    host: \"18080\"\n"), "type.mismatch", "ports[0].host", 5, 11);

    [Theory]
    [InlineData("sctp")]
    [InlineData("TCP")]
    public void Parse_PortProtocolUnknown_ReportsPortProtocol(string protocol) =>
        Only(Yaml(Minimal + $"ports:\n  - container: 80\n    protocol: {protocol}\n"), "port.protocol", "ports[0].protocol", 5, 15);

    [Fact]
    public void Parse_PortsSameHostAndProtocol_ReportsDuplicateHostAtSecondEntry()
    {
        var problem = Only(
            Yaml(Minimal + "ports:\n  - container: 80\n    host: 8080\n  - container: 81\n    host: 8080\n"),
            "port.duplicate-host",
            "ports[1].host",
            7,
            11);
        Assert.Contains("ports[0]", problem.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_PortsSameContainerAndProtocol_ReportsDuplicateContainerAtSecondEntry()
    {
        var problem = Only(
            Yaml(Minimal + "ports:\n  - container: 80\n  - container: 80\n    host: 8080\n"),
            "port.duplicate-container",
            "ports[1].container",
            5,
            16);
        Assert.Contains("ports[0]", problem.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_PortsSameNumbersTcpAndUdp_Accepted()
    {
        var ports = Valid(Yaml(Minimal + "ports:\n  - {container: 53, host: 53}\n  - {container: 53, host: 53, protocol: udp}\n")).Ports;

        Assert.Equal([Protocol.Tcp, Protocol.Udp], ports.Select(p => p.Protocol));
    }

    [Fact]
    public void Parse_PortsTwoWithoutHost_AcceptedBecauseOnlyGivenHostsClash() =>
        Assert.Equal(2, Valid(Yaml(Minimal + "ports: [{container: 80}, {container: 81}]\n")).Ports.Count);

    [Fact]
    public void Parse_PortsIsMap_ReportsTypeMismatch() =>
        Only(Yaml(Minimal + "ports: {container: 80}\n"), "type.mismatch", "ports", 3, 8);

    [Fact]
    public void Parse_PortEntryIsNumber_ReportsTypeMismatchAtEntry() =>
        Only(Yaml(Minimal + "ports: [80]\n"), "type.mismatch", "ports[0]", 3, 9);

    // ---- resources -----------------------------------------------------------------------------------------

    [Theory]
    [InlineData("500m", 500)]
    [InlineData("0.5", 500)]
    [InlineData("2", 2000)]
    [InlineData("1m", 1)]
    [InlineData(".25", 250)]
    [InlineData("1.5", 1500)]
    public void Parse_CpuQuantity_ConvertedToMillicores(string cpu, long millicores) =>
        Assert.Equal(millicores, Valid(Yaml(Minimal + $"resources:\n  cpu: {cpu}\n")).Resources.Cpu!.Millicores);

    [Theory]
    [InlineData("0")]
    [InlineData("0m")]
    [InlineData("-1")]
    [InlineData("\"0.0001\"")]
    [InlineData("lots")]
    [InlineData("500Mi")]
    [InlineData("1000001")]
    public void Parse_CpuInvalid_ReportsCpuInvalid(string cpu) =>
        Only(Yaml(Minimal + $"resources:\n  cpu: {cpu}\n"), "cpu.invalid", "resources.cpu", 4, 8);

    [Theory]
    [InlineData("8192Ki", 8192L * 1024)]
    [InlineData("256Mi", 256L * 1024 * 1024)]
    [InlineData("2Gi", 2L * 1024 * 1024 * 1024)]
    [InlineData("1Ti", 1L << 40)]
    [InlineData("7000k", 7_000_000L)]
    [InlineData("100M", 100_000_000L)]
    [InlineData("1G", 1_000_000_000L)]
    [InlineData("1T", 1_000_000_000_000L)]
    [InlineData("6291456", 6291456L)]
    [InlineData("1.5Gi", 1536L * 1024 * 1024)]
    [InlineData("1e9", 1_000_000_000L)]
    public void Parse_MemoryQuantity_ConvertedToBytes(string memory, long bytes) =>
        Assert.Equal(bytes, Valid(Yaml(Minimal + $"resources:\n  memory: {memory}\n")).Resources.Memory!.Bytes);

    [Theory]
    [InlineData("5Mi", "at least 6Mi")]
    [InlineData("6291455", "at least 6Mi")]
    [InlineData("1Ki", "at least 6Mi")]
    [InlineData("lots", "not a memory quantity")]
    [InlineData("256MB", "unknown suffix")]
    [InlineData("100Ei", "larger than any machine")]
    [InlineData("99999999999999999999", "larger than any machine")]
    [InlineData("0.5", "whole number of bytes")]
    [InlineData("-1Gi", "not a memory quantity")]
    public void Parse_MemoryInvalid_ReportsMemoryInvalid(string memory, string reason)
    {
        var problem = Only(Yaml(Minimal + $"resources:\n  memory: {memory}\n"), "memory.invalid", "resources.memory", 4, 11);
        Assert.Contains(reason, problem.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_MemoryIsList_ReportsTypeMismatch() =>
        Only(Yaml(Minimal + "resources:\n  memory: [1Gi]\n"), "type.mismatch", "resources.memory", 4, 11);

    // ---- healthCheck ---------------------------------------------------------------------------------------

    private const string WithPort = Minimal + "ports: [{container: 8080}]\n";

    [Fact]
    public void Parse_HealthCheckTcp_UsesDefaultsForTheRest()
    {
        var health = Valid(Yaml(WithPort + "healthCheck:\n  tcp: {port: 8080}\n")).HealthCheck!;

        Assert.Equal(new TcpProbe(Port.From(8080)), health.Probe);
        Assert.Equal((TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(2), 3), (health.Interval.Value, health.Timeout.Value, health.Retries));
    }

    [Fact]
    public void Parse_HealthCheckHttpWithoutPath_DefaultsToRoot() =>
        Assert.Equal(new HttpProbe(Port.From(8080), "/"), Valid(Yaml(WithPort + "healthCheck:\n  http: {port: 8080}\n")).HealthCheck!.Probe);

    [Fact]
    public void Parse_HealthCheckCommand_NeedsNoPort()
    {
        var probe = Assert.IsType<CommandProbe>(Valid(Yaml(Minimal + "healthCheck:\n  command: [curl, -f, localhost]\n")).HealthCheck!.Probe);

        Assert.Equal(["curl", "-f", "localhost"], probe.Command);
    }

    [Fact]
    public void Parse_HealthCheckShortIntervalWithoutTimeout_TimeoutDefaultsBelowInterval() =>
        Assert.Equal(TimeSpan.FromMilliseconds(500), Valid(Yaml(WithPort + "healthCheck:\n  tcp: {port: 8080}\n  interval: 1s\n")).HealthCheck!.Timeout.Value);

    [Fact]
    public void Parse_HealthCheckWithoutProbe_ReportsHealthProbe() =>
        Only(Yaml(WithPort + "healthCheck:\n  interval: 5s\n"), "health.probe", "healthCheck", 5, 3);

    [Fact]
    public void Parse_HealthCheckTwoProbes_ReportsHealthProbeAtSecondProbe()
    {
        var problem = Only(Yaml(WithPort + "healthCheck:\n  http: {port: 8080}\n  tcp: {port: 8080}\n"), "health.probe", "healthCheck", 6, 3);
        Assert.Contains("'http' and 'tcp'", problem.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_HealthCheckThreeProbes_ReportsHealthProbeOnce() =>
        Only(Yaml(WithPort + "healthCheck:\n  http: {port: 8080}\n  tcp: {port: 8080}\n  command: [x]\n"), "health.probe", "healthCheck", 6, 3);

    [Fact]
    public void Parse_HealthPortNotAContainerPort_ReportsHealthPort() =>
        Only(Yaml(WithPort + "healthCheck:\n  http: {port: 9090}\n"), "health.port", "healthCheck.http.port", 5, 16);

    [Fact]
    public void Parse_HealthPortIsUdpContainerPort_ReportsHealthPort()
    {
        var problem = Only(
            Yaml(Minimal + "ports: [{container: 53, protocol: udp}, {container: 80}]\nhealthCheck:\n  tcp: {port: 53}\n"),
            "health.port",
            "healthCheck.tcp.port",
            5,
            15);
        Assert.Contains("(80)", problem.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_HealthPortWithoutAnyPorts_ReportsHealthPort() =>
        Only(Yaml(Minimal + "healthCheck:\n  tcp: {port: 80}\n"), "health.port", "healthCheck.tcp.port", 4, 15);

    [Fact]
    public void Parse_HealthPortOutOfRange_ReportsPortRange() =>
        Only(Yaml(WithPort + "healthCheck:\n  tcp: {port: 0}\n"), "port.range", "healthCheck.tcp.port", 5, 15);

    [Fact]
    public void Parse_HealthHttpPortMissing_ReportsFieldRequired() =>
        Only(Yaml(WithPort + "healthCheck:\n  http: {path: /}\n"), "field.required", "healthCheck.http.port", 5, 9);

    [Theory]
    [InlineData("healthz")]
    [InlineData("\"/with space\"")]
    [InlineData("\"/tab\\there\"")]
    public void Parse_HealthHttpPathInvalid_ReportsHealthPath(string path) =>
        Only(Yaml(WithPort + $"healthCheck:\n  http:\n    port: 8080\n    path: {path}\n"), "health.path", "healthCheck.http.path", 7, 11);

    [Fact]
    public void Parse_HealthCommandEmpty_ReportsCommandEmpty() =>
        Only(Yaml(Minimal + "healthCheck:\n  command: []\n"), "command.empty", "healthCheck.command", 4, 12);

    [Theory]
    [InlineData("2s", "2s")]
    [InlineData("5s", "2s")]
    [InlineData("1m", "59s")]
    public void Parse_HealthTimeoutNotShorterThanInterval_ReportsHealthTimeout(string timeout, string interval)
    {
        var problem = Only(
            Yaml(WithPort + $"healthCheck:\n  tcp: {{port: 8080}}\n  interval: {interval}\n  timeout: {timeout}\n"),
            "health.timeout",
            "healthCheck.timeout",
            7,
            12);
        Assert.Contains("shorter than interval", problem.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_HealthIntervalNotLongerThanDefaultTimeoutGiven_ReportsHealthTimeoutAtTimeout() =>
        Only(Yaml(WithPort + "healthCheck:\n  tcp: {port: 8080}\n  interval: 1s\n  timeout: 2s\n"), "health.timeout", "healthCheck.timeout", 7, 12);

    [Theory]
    [InlineData("0")]
    [InlineData("101")]
    [InlineData("-1")]
    public void Parse_HealthRetriesOutOfRange_ReportsHealthRetries(string retries) =>
        Only(Yaml(WithPort + $"healthCheck:\n  tcp: {{port: 8080}}\n  retries: {retries}\n"), "health.retries", "healthCheck.retries", 6, 12);

    [Theory]
    [InlineData("1")]
    [InlineData("100")]
    public void Parse_HealthRetriesBoundary_Accepted(string retries) =>
        Assert.Equal(int.Parse(retries, System.Globalization.CultureInfo.InvariantCulture), Valid(Yaml(WithPort + $"healthCheck:\n  tcp: {{port: 8080}}\n  retries: {retries}\n")).HealthCheck!.Retries);

    [Theory]
    [InlineData("1m30s", 90_000)]
    [InlineData("500ms", 500)]
    [InlineData("1h", 3_600_000)]
    [InlineData("1.5s", 1_500)]
    [InlineData("2m", 120_000)]
    public void Parse_HealthIntervalDuration_Parsed(string interval, int milliseconds) =>
        Assert.Equal(TimeSpan.FromMilliseconds(milliseconds), Valid(Yaml(WithPort + $"healthCheck:\n  tcp: {{port: 8080}}\n  interval: {interval}\n  timeout: 100ms\n")).HealthCheck!.Interval.Value);

    [Theory]
    [InlineData("10")]
    [InlineData("10x")]
    [InlineData("s")]
    [InlineData("1.5.5s")]
    [InlineData("10 s")]
    [InlineData("-5s")]
    [InlineData("1500us")]
    public void Parse_HealthIntervalNotDuration_ReportsDurationInvalid(string interval) =>
        Only(Yaml(WithPort + $"healthCheck:\n  tcp: {{port: 8080}}\n  interval: {interval}\n  timeout: 100ms\n"), "duration.invalid", "healthCheck.interval", 6, 13);

    [Theory]
    [InlineData("0s")]
    [InlineData("0")]
    [InlineData("0ms")]
    public void Parse_HealthIntervalZero_ReportsDurationRange(string interval) =>
        Only(Yaml(WithPort + $"healthCheck:\n  tcp: {{port: 8080}}\n  interval: {interval}\n  timeout: 100ms\n"), "duration.range", "healthCheck.interval", 6, 13);

    [Fact]
    public void Parse_HealthTimeoutZero_ReportsDurationRange() =>
        Only(Yaml(WithPort + "healthCheck:\n  tcp: {port: 8080}\n  timeout: 0s\n"), "duration.range", "healthCheck.timeout", 6, 12);

    [Fact]
    public void Parse_HealthIntervalOverAYear_ReportsDurationInvalid()
    {
        var problem = Only(Yaml(WithPort + "healthCheck:\n  tcp: {port: 8080}\n  interval: 8761h\n"), "duration.invalid", "healthCheck.interval", 6, 13);
        Assert.Contains("365 days", problem.Message, StringComparison.Ordinal);
    }

    // ---- placement -----------------------------------------------------------------------------------------

    [Fact]
    public void Parse_PlacementLabelsAndHosts_Kept()
    {
        var placement = Valid(Yaml(Minimal + "placement:\n  labels: {zone: eu-1, example.com/tier: gold, empty: \"\"}\n  hosts: [host-a, node.1]\n")).Placement;

        Assert.Equal(("eu-1", "gold", ""), (placement.Labels["zone"], placement.Labels["example.com/tier"], placement.Labels["empty"]));
        Assert.Equal([HostId.From("host-a"), HostId.From("node.1")], placement.Hosts!);
    }

    [Theory]
    [InlineData("-zone", "placement.labels[\"-zone\"]")]
    [InlineData("zone-", "placement.labels.zone-")]
    [InlineData("\"a b\"", "placement.labels[\"a b\"]")]
    public void Parse_PlacementLabelKeyInvalid_ReportsLabelKey(string key, string path) =>
        Only(Yaml(Minimal + $"placement:\n  labels:\n    {key}: x\n"), "label.key", path, 5, 5);

    [Theory]
    [InlineData("\"has space\"")]
    [InlineData("a/b")]
    public void Parse_PlacementLabelValueInvalid_ReportsLabelValue(string value) =>
        Only(Yaml(Minimal + $"placement:\n  labels:\n    zone: {value}\n"), "label.value", "placement.labels.zone", 5, 11);

    [Fact]
    public void Parse_PlacementLabelValueOf64Characters_ReportsLabelValue() =>
        Only(Yaml(Minimal + $"placement:\n  labels:\n    zone: {new string('a', 64)}\n"), "label.value", "placement.labels.zone", 5, 11);

    [Theory]
    [InlineData("Host-A")]
    [InlineData("-host")]
    [InlineData("host-")]
    [InlineData("host_a")]
    public void Parse_PlacementHostInvalid_ReportsHostInvalid(string host) =>
        Only(Yaml(Minimal + $"placement:\n  hosts: [host-a, {host}]\n"), "host.invalid", "placement.hosts[1]", 4, 19);

    [Fact]
    public void Parse_PlacementHostListedTwice_ReportsHostDuplicateAtSecond() =>
        Only(Yaml(Minimal + "placement:\n  hosts: [host-a, host-b, host-a]\n"), "host.duplicate", "placement.hosts[2]", 4, 27);

    [Fact]
    public void Parse_PlacementHostsEmpty_ReportsHostEmpty() =>
        Only(Yaml(Minimal + "placement:\n  hosts: []\n"), "host.empty", "placement.hosts", 4, 10);

    [Fact]
    public void Parse_PlacementHostIsNumber_ReportsTypeMismatch() =>
        Only(Yaml(Minimal + "placement:\n  hosts: [42]\n"), "type.mismatch", "placement.hosts[0]", 4, 11);

    // ---- update --------------------------------------------------------------------------------------------

    [Fact]
    public void Parse_UpdateBothZero_ReportsUpdateZero() =>
        Only(Yaml(Minimal + "update:\n  maxUnavailable: 0\n  maxSurge: 0\n"), "update.zero", "update", 5, 13);

    [Fact]
    public void Parse_UpdateMaxUnavailableZeroWithDefaultSurge_Accepted()
    {
        var update = Valid(Yaml(Minimal + "update:\n  maxUnavailable: 0\n")).Update;

        Assert.Equal((0, 1, true), (update.MaxUnavailable, update.MaxSurge, update.AutoRollback));
    }

    [Fact]
    public void Parse_UpdateSurgeZeroAloneWithDefaultUnavailableZero_ReportsUpdateZero() =>
        Only(Yaml(Minimal + "update:\n  maxSurge: 0\n"), "update.zero", "update", 4, 13);

    [Theory]
    [InlineData("update:\n  maxUnavailable: -1\n", "update.maxUnavailable", 4, 19)]
    [InlineData("update:\n  maxSurge: -1\n", "update.maxSurge", 4, 13)]
    [InlineData("update:\n  maxUnavailable: 1\n  maxSurge: 10001\n", "update.maxSurge", 5, 13)]
    public void Parse_UpdateCountOutOfRange_ReportsUpdateRange(string yaml, string path, int line, int column) =>
        Only(Yaml(Minimal + yaml), "update.range", path, line, column);

    [Fact]
    public void Parse_UpdateAutoRollbackNotBoolean_ReportsTypeMismatch() =>
        Only(Yaml(Minimal + "update:\n  autoRollback: yes\n"), "type.mismatch", "update.autoRollback", 4, 17);

    [Fact]
    public void Parse_UpdateWithoutTimings_DefaultsToFiveSecondsReadyAndFiveMinutesOfProgress()
    {
        var update = Valid(Yaml(Minimal)).Update;

        Assert.Equal((TimeSpan.FromSeconds(5), TimeSpan.FromMinutes(5)), (update.MinReady.Value, update.ProgressDeadline.Value));
    }

    [Fact]
    public void Parse_UpdateTimings_AreRead()
    {
        var update = Valid(Yaml(Minimal + "update:\n  minReady: 0s\n  progressDeadline: 90s\n")).Update;

        Assert.Equal((TimeSpan.Zero, TimeSpan.FromSeconds(90)), (update.MinReady.Value, update.ProgressDeadline.Value));
    }

    [Fact]
    public void Parse_UpdateProgressDeadlineNotLongerThanMinReady_ReportsUpdateDeadline() =>
        Only(Yaml(Minimal + "update:\n  minReady: 1m\n  progressDeadline: 30s\n"), "update.deadline", "update.progressDeadline", 5, 21);

    [Theory]
    [InlineData("update:\n  minReady: soon\n", "duration.invalid", "update.minReady", 4, 13)]
    [InlineData("update:\n  progressDeadline: 0s\n", "duration.range", "update.progressDeadline", 4, 21)]
    public void Parse_UpdateTimingInvalid_ReportsIt(string yaml, string code, string path, int line, int column) =>
        Only(Yaml(Minimal + yaml), code, path, line, column);

    // ---- unknown keys --------------------------------------------------------------------------------------

    [Theory]
    [InlineData("replica: 3\n", "replica", "replicas", 3, 1)]
    [InlineData("healthcheck: {}\n", "healthcheck", "healthCheck", 3, 1)]
    [InlineData("ports:\n  - container: 80\n    hosts: 81\n", "ports[0].hosts", "host", 5, 5)]
    [InlineData("resources:\n  memroy: 1Gi\n", "resources.memroy", "memory", 4, 3)]
    [InlineData("update:\n  maxSurg: 1\n", "update.maxSurg", "maxSurge", 4, 3)]
    [InlineData("placement:\n  label: {}\n", "placement.label", "labels", 4, 3)]
    [InlineData("healthCheck:\n  command: [x]\n  intervall: 5s\n", "healthCheck.intervall", "interval", 5, 3)]
    [InlineData("healthCheck:\n  http: {port: 80, pth: /}\n", "healthCheck.http.pth", "path", 4, 20)]
    public void Parse_UnknownKeyCloseToKnown_SuggestsKnownKey(string yaml, string path, string suggestion, int line, int column)
    {
        var problem = At(Yaml(Minimal + yaml), path, "field.unknown");
        Assert.Equal((line, column), (problem.Line, problem.Column));
        Assert.Contains($"did you mean '{suggestion}'?", problem.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("xyzzy: 1\n", "xyzzy", "name, image")]
    [InlineData("resources:\n  disk: 1\n", "resources.disk", "cpu, memory")]
    [InlineData("ports:\n  - container: 80\n    nothing: 1\n", "ports[0].nothing", "container, host, protocol")]
    public void Parse_UnknownKeyFarFromKnown_ListsKnownKeys(string yaml, string path, string listed)
    {
        var problem = Only(Yaml(Minimal + yaml), "field.unknown", path);
        Assert.DoesNotContain("did you mean", problem.Message, StringComparison.Ordinal);
        Assert.Contains(listed, problem.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_UnknownKeyWithDot_QuotesItInPath() =>
        Only(Yaml(Minimal + "\"a.b\": 1\n"), "field.unknown", "$[\"a.b\"]", 3, 1);

    // ---- duplicate keys ------------------------------------------------------------------------------------

    [Fact]
    public void Parse_DuplicateRootKeyYaml_ReportsAtSecondKey()
    {
        var problem = Only(Yaml("name: web\nimage: nginx\nname: api\n"), "document.duplicate-key", "name", 3, 1);
        Assert.Contains("line 1, column 1", problem.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_DuplicateNestedKeyYaml_ReportsAtSecondKeyWithPath() =>
        Only(Yaml(Minimal + "env:\n  A: x\n  B: y\n  A: z\n"), "document.duplicate-key", "env.A", 6, 3);

    [Fact]
    public void Parse_DuplicateKeyJson_ReportsAtSecondKey() =>
        Only(Json("{\n  \"name\": \"web\",\n  \"image\": \"nginx\",\n  \"name\": \"api\"\n}"), "document.duplicate-key", "name", 4, 3);

    [Fact]
    public void Parse_DuplicateKeyAndOtherMistakes_ReportsAllOfThem()
    {
        var result = Yaml("name: web\nimage: nginx\nreplicas: 0\nname: api\n");

        Assert.Equal(
            [("replicas", "replicas.range"), ("name", "document.duplicate-key")],
            result.Problems.Select(p => (p.Path, p.Code)));
    }

    // ---- root type -----------------------------------------------------------------------------------------

    [Theory]
    [InlineData("- name: web\n- image: nginx\n", "a list")]
    [InlineData("just words\n", "a string")]
    [InlineData("42\n", "a number")]
    [InlineData("true\n", "a boolean")]
    public void Parse_YamlRootNotMap_ReportsTypeMismatchAtRoot(string yaml, string described)
    {
        var problem = Only(Yaml(yaml), "type.mismatch", "$", 1, 1);
        Assert.Contains(described, problem.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("[{\"name\": \"web\"}]")]
    [InlineData("\"web\"")]
    [InlineData("3")]
    public void Parse_JsonRootNotObject_ReportsTypeMismatchAtRoot(string json) =>
        Only(Json(json), "type.mismatch", "$", 1, 1);

    [Theory]
    [InlineData("")]
    [InlineData("\n\n")]
    [InlineData("# only a comment\n")]
    [InlineData("~\n")]
    [InlineData("---\n")]
    public void Parse_YamlEmpty_ReportsDocumentEmpty(string yaml) =>
        Only(Yaml(yaml), "document.empty", "$");

    [Theory]
    [InlineData("")]
    [InlineData("  \n ")]
    [InlineData("null")]
    public void Parse_JsonEmpty_ReportsDocumentEmpty(string json) =>
        Only(Json(json), "document.empty", "$", 1, 1);

    // ---- several problems at once --------------------------------------------------------------------------

    [Fact]
    public void Parse_ManyMistakes_ReportsEveryOneInDocumentOrder()
    {
        var result = Yaml("""
            name: Web_App
            image: registry.example.com/Team/web:latest
            replica: 3
            env:
              LOG-LEVEL: info
              NESTED: [a, b]
            ports:
              - container: 70000
              - container: 8080
                host: "18080"
                protocol: sctp
            resources:
              cpu: "-1"
              memory: lots
            healthCheck:
              http: { port: 9999, path: healthz }
              interval: 2s
              timeout: 5s
            update:
              maxUnavailable: 0
              maxSurge: 0
            """);

        Assert.False(result.IsValid);
        Assert.Equal(
            [
                (1, "name", "name.invalid"),
                (2, "image", "image.invalid"),
                (3, "replica", "field.unknown"),
                (5, "env.LOG-LEVEL", "env.key"),
                (6, "env.NESTED", "type.mismatch"),
                (8, "ports[0].container", "port.range"),
                (10, "ports[1].host", "type.mismatch"),
                (11, "ports[1].protocol", "port.protocol"),
                (13, "resources.cpu", "cpu.invalid"),
                (14, "resources.memory", "memory.invalid"),
                (16, "healthCheck.http.port", "health.port"),
                (16, "healthCheck.http.path", "health.path"),
                (18, "healthCheck.timeout", "health.timeout"),
                (21, "update", "update.zero"),
            ],
            result.Problems.Select(p => (p.Line, p.Path, p.Code)));
        Assert.All(result.Problems, p => Assert.Equal("spec.yaml", p.File));
    }

    [Fact]
    public void Parse_ManyMistakesJson_ReportsEveryOne()
    {
        var result = Json("""{"name": "-x", "image": "nginx", "replicas": 0, "ports": [{"container": 0}], "update": {"maxSurge": -1}}""");

        Assert.Equal(
            ["name", "replicas", "ports[0].container", "update.maxSurge"],
            result.Problems.Select(p => p.Path));
    }

    [Fact]
    public void Parse_MoreThanAThousandProblems_CapsListAndSaysHowManyMore()
    {
        var env = string.Concat(Enumerable.Range(0, 1200).Select(i => $"  {i}BAD: x\n"));
        var result = Yaml(Minimal + "env:\n" + env);

        Assert.Equal(1001, result.Problems.Count);
        Assert.All(result.Problems.Take(1000), p => Assert.Equal("env.key", p.Code));
        var last = result.Problems[^1];
        Assert.Equal(("document.too-many-problems", "$"), (last.Code, last.Path));
        Assert.Contains("200 more", last.Message, StringComparison.Ordinal);
    }
}
