using Workers.Contracts.Messages;
using Workers.HostAgent.Agent;
using Workers.HostAgent.Tests.Support;
using Workers.HostAgent.Runtime;

namespace Workers.HostAgent.Tests.Agent;

public sealed class AgentOptionsTests
{
    [Fact]
    public void TryRead_DisconnectStopAfterUnset_NeverStops()
    {
        var options = Read(("WORKERS_HOST_ID", "host-a"));

        Assert.Null(options.DisconnectStopAfter);
    }

    [Theory]
    [InlineData("8s", 8_000)]
    [InlineData("1m30s", 90_000)]
    [InlineData("5500ms", 5_500)]
    public void TryRead_DisconnectStopAfterDuration_IsThatDuration(string text, int milliseconds)
    {
        var options = Read(("WORKERS_DISCONNECT_STOP_AFTER", text));

        Assert.Equal(TimeSpan.FromMilliseconds(milliseconds), options.DisconnectStopAfter);
    }

    [Theory]
    [InlineData("off")]
    [InlineData("OFF")]
    [InlineData(" off ")]
    public void TryRead_DisconnectStopAfterOff_NeverStops(string text)
    {
        var options = Read(("WORKERS_DISCONNECT_STOP_AFTER", text));

        Assert.Null(options.DisconnectStopAfter);
    }

    [Theory]
    [InlineData("30", "'30' is not a duration")]
    [InlineData("soon", "'soon' is not a duration")]
    [InlineData("0s", "must be longer than zero")]
    [InlineData("-5s", "is not a duration")]
    [InlineData("false", "is not a duration")]
    public void TryRead_DisconnectStopAfterInvalid_IsRefusedSayingWhatIsAllowed(string text, string problem)
    {
        var read = AgentOptions.TryRead(Settings(("WORKERS_DISCONNECT_STOP_AFTER", text)), out var options, out var errors);

        Assert.False(read);
        Assert.Null(options);
        var error = Assert.Single(errors);
        Assert.StartsWith($"WORKERS_DISCONNECT_STOP_AFTER '{text}': ", error, StringComparison.Ordinal);
        Assert.Contains(problem, error, StringComparison.Ordinal);
        Assert.Contains("'off'", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("5s")]
    [InlineData("2s")]
    public void TryRead_DisconnectStopAfterNotLongerThanTheHeartbeatInterval_IsRefused(string text)
    {
        var read = AgentOptions.TryRead(Settings(("WORKERS_HEARTBEAT_INTERVAL", "5s"), ("WORKERS_DISCONNECT_STOP_AFTER", text)), out _, out var errors);

        Assert.False(read);
        Assert.Equal($"WORKERS_DISCONNECT_STOP_AFTER '{text}': must be longer than WORKERS_HEARTBEAT_INTERVAL (5s)", Assert.Single(errors));
    }

    [Fact]
    public void New_WithoutDisconnectStopAfter_NeverStops()
    {
        var options = new AgentOptions(Contracts.Spec.HostId.From("host-a"), new Dictionary<string, string>(), "127.0.0.1", TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(10)) { Keys = TestKeys.Agent, ControlKeys = TestKeys.Trusted };

        Assert.Null(options.DisconnectStopAfter);
    }

    [Fact]
    public void TryRead_HostLabels_AreTheKeysGiven_AndARepeatedKeyIsRefused()
    {
        Assert.True(AgentOptions.TryRead(Settings(("WORKERS_HOST_LABELS", "zone=a, disk=ssd")), out var options, out var errors), string.Join("; ", errors));
        Assert.Equal(new Dictionary<string, string> { ["zone"] = "a", ["disk"] = "ssd" }, options!.Labels);

        var read = AgentOptions.TryRead(Settings(("WORKERS_HOST_LABELS", "zone=a,disk=ssd,zone=b")), out _, out errors);

        Assert.False(read);
        Assert.Equal("WORKERS_HOST_LABELS: 'zone' is given twice ('a' and 'b'); give each key once", Assert.Single(errors));
    }

    [Fact]
    public void TryRead_NoContainerSettings_IsTheDocumentedDefaults()
    {
        var policy = Read().Containers;

        Assert.Equal(ContainerPolicy.Default, policy);
        Assert.Equal((1000L, 512L * 1024 * 1024, 512), (policy.DefaultCpu!.Millicores, policy.DefaultMemory!.Bytes, policy.DefaultPidsLimit));
        Assert.Equal(("10m", 3), (policy.LogMaxSize, policy.LogMaxFiles));
        Assert.Equal(new HostPortRange(20000, 32000), policy.DynamicPorts);
        Assert.Empty(policy.ExtraHostPorts);
        Assert.Equal(
            ["AUDIT_WRITE", "CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL", "MKNOD", "NET_BIND_SERVICE", "NET_RAW", "SETFCAP", "SETGID", "SETPCAP", "SETUID", "SYS_CHROOT"],
            policy.AllowedCapabilities.Select(c => c.Name));
        var plain = Contracts.Spec.SpecParser.Parse("name: web\nimage: workers-test/httpd:1\n", "web.yaml").Spec!;
        Assert.Equal(ContainerHardening.Default, policy.HardeningFor(plain) with { Capabilities = ContainerHardening.Default.Capabilities });
        Assert.Empty(policy.HardeningFor(plain).Capabilities);
    }

    [Fact]
    public void TryRead_ContainerSettings_AreWhatTheAgentAdvertises()
    {
        var policy = Read(
            ("WORKERS_HOST_PORT_RANGE", "30000-30999"),
            ("WORKERS_HOST_PORTS_ALLOWED", "80, 443,10000-19999"),
            ("WORKERS_ALLOWED_CAPABILITIES", "NET_BIND_SERVICE,SYS_TIME"),
            ("WORKERS_DEFAULT_CPU", "none"),
            ("WORKERS_DEFAULT_MEMORY", "1Gi")).Containers;

        var allows = policy.Allowances();

        Assert.Equal(new HostPortRange(30000, 30999), allows.DynamicPorts);
        Assert.Equal([new HostPortRange(30000, 30999), new HostPortRange(80, 80), new HostPortRange(443, 443), new HostPortRange(10000, 19999)], allows.HostPorts);
        Assert.Equal(["NET_BIND_SERVICE", "SYS_TIME"], allows.Capabilities);
        Assert.Null(policy.DefaultCpu);
        Assert.Equal(1L << 30, policy.DefaultMemory!.Bytes);
    }

    [Fact]
    public void TryRead_AllowedCapabilitiesNone_AllowsNone() =>
        Assert.Empty(Read(("WORKERS_ALLOWED_CAPABILITIES", "none")).Containers.AllowedCapabilities);

    [Fact]
    public void TryRead_BadContainerSettings_AreRefusedEachSayingWhy()
    {
        var read = AgentOptions.TryRead(
            Settings(
                ("WORKERS_HOST_PORT_RANGE", "32000-20000"),
                ("WORKERS_HOST_PORTS_ALLOWED", "80,70000"),
                ("WORKERS_ALLOWED_CAPABILITIES", "CAP_SYS_ADMIN"),
                ("WORKERS_DEFAULT_CPU", "lots"),
                ("WORKERS_DEFAULT_MEMORY", "1Ki"),
                ("WORKERS_DEFAULT_PIDS_LIMIT", "0"),
                ("WORKERS_LOG_MAX_SIZE", "10MB"),
                ("WORKERS_LOG_MAX_FILES", "none")),
            out var options,
            out var errors);

        Assert.False(read);
        Assert.Null(options);
        Assert.Equal(
            [
                "WORKERS_DEFAULT_CPU 'lots': ",
                "WORKERS_DEFAULT_MEMORY '1Ki': ",
                "WORKERS_DEFAULT_PIDS_LIMIT '0': expected a whole number from 1 to 4194304",
                "WORKERS_LOG_MAX_SIZE '10MB': expected a size such as 10m (a whole number with k, m or g)",
                "WORKERS_LOG_MAX_FILES 'none': expected a whole number from 1 to 100",
                "WORKERS_HOST_PORT_RANGE: '32000-20000' is not a port or a range LOW-HIGH of ports from 1 to 65535",
                "WORKERS_HOST_PORTS_ALLOWED: '70000' is not a port or a range LOW-HIGH of ports from 1 to 65535",
                "WORKERS_ALLOWED_CAPABILITIES: 'CAP_SYS_ADMIN' is not written as Docker names it; write 'SYS_ADMIN'",
            ],
            errors.Select(e => e.StartsWith("WORKERS_DEFAULT_CPU", StringComparison.Ordinal) || e.StartsWith("WORKERS_DEFAULT_MEMORY", StringComparison.Ordinal) ? e[..(e.IndexOf(':', StringComparison.Ordinal) + 2)] : e));
    }

    private static AgentOptions Read(params (string Key, string Value)[] settings)
    {
        Assert.True(AgentOptions.TryRead(Settings(settings), out var options, out var errors), string.Join("; ", errors));
        return options;
    }

    /// <summary>A working agent's settings (host-a, the test keys), with <paramref name="settings"/> in place of any of them.</summary>
    internal static Func<string, string?> Settings(params (string Key, string Value)[] settings)
    {
        var all = settings.ToDictionary(s => s.Key, s => s.Value, StringComparer.Ordinal);
        all.TryAdd("WORKERS_HOST_ID", "host-a");
        all.TryAdd("WORKERS_CONTROL_KEYS", TestKeys.Control.PublicKey.Base64);
        all.TryAdd("WORKERS_AGENT_KEY", TestKeys.AgentKeyFile);
        return key => all.GetValueOrDefault(key);
    }

    [Fact]
    public void TryRead_Keys_AreTheAgentsOwnAndTheControlPlanesGiven()
    {
        var options = Read();

        Assert.Equal(TestKeys.Agent.Identity, options.Keys.Identity);
        Assert.Null(options.ControlKeys.Refusal(TestKeys.Control.Sign(new Contracts.Messages.StopReplicas(Guid.NewGuid(), Guid.NewGuid(), DateTimeOffset.UtcNow, "host-a", "web", 1, [0]))));
    }

    [Theory]
    [InlineData("not-a-key", "WORKERS_CONTROL_KEYS: 'not-a-key' is not base64")]
    [InlineData("aGVsbG8=", "WORKERS_CONTROL_KEYS: 'aGVsbG8=' is not an EC public key")]
    public void TryRead_ControlKeysThatAreNotKeys_AreRefusedSayingWhy(string text, string problem)
    {
        var read = AgentOptions.TryRead(Settings(("WORKERS_CONTROL_KEYS", text)), out _, out var errors);

        Assert.False(read);
        Assert.Contains(errors, e => e.StartsWith(problem, StringComparison.Ordinal));
    }

    [Fact]
    public void TryRead_AgentKeyFileThatHoldsNoKey_IsRefusedNamingTheFile()
    {
        var path = Path.GetTempFileName();
        try
        {
            File.WriteAllText(path, "not a key");

            Assert.False(AgentOptions.TryRead(Settings(("WORKERS_AGENT_KEY", path)), out _, out var errors));
            Assert.Contains(errors, e => e.StartsWith($"WORKERS_AGENT_KEY '{path}': no '-----BEGIN WORKERS SIGNING KEY-----' block", StringComparison.Ordinal));
        }
        finally
        {
            File.Delete(path);
        }
    }
}
