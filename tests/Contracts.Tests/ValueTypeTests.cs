using Workers.Contracts.Spec;

namespace Workers.Contracts.Tests;

/// <summary>The value types hold only valid values, and their text is canonical: it parses back to an equal value.</summary>
public sealed class ValueTypeTests
{
    // ---- Port ----------------------------------------------------------------------------------------------

    [Theory]
    [InlineData(1)]
    [InlineData(8080)]
    [InlineData(65535)]
    public void Port_TryCreateInRange_KeepsNumber(long number)
    {
        Assert.True(Port.TryCreate(number, out var port, out var error));
        Assert.Null(error);
        Assert.Equal(number, port.Value);
        Assert.Equal(number.ToString(System.Globalization.CultureInfo.InvariantCulture), port.ToString());
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    [InlineData(65536)]
    [InlineData(long.MaxValue)]
    public void Port_TryCreateOutOfRange_SaysWhy(long number)
    {
        Assert.False(Port.TryCreate(number, out var port, out var error));
        Assert.Null(port);
        Assert.Contains("between 1 and 65535", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Port_FromOutOfRange_Throws() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => Port.From(70000));

    [Fact]
    public void Port_SameNumber_EqualAndOrdered()
    {
        Assert.Equal(Port.From(80), Port.From(80));
        Assert.True(Port.From(80).CompareTo(Port.From(443)) < 0);
    }

    // ---- DnsLabel ------------------------------------------------------------------------------------------

    [Theory]
    [InlineData("a")]
    [InlineData("web")]
    [InlineData("web-2")]
    [InlineData("a1-b2")]
    public void DnsLabel_TryParseValid_RoundTrips(string text)
    {
        Assert.True(DnsLabel.TryParse(text, out var label, out _));
        Assert.Equal(text, label.ToString());
        Assert.True(DnsLabel.TryParse(label.ToString(), out var again, out _));
        Assert.Equal(label, again);
    }

    [Theory]
    [InlineData(null, "must not be empty")]
    [InlineData("", "must not be empty")]
    [InlineData("Web", "lowercase letter")]
    [InlineData("9web", "lowercase letter")]
    [InlineData("-web", "lowercase letter")]
    [InlineData("web-", "must not end with '-'")]
    [InlineData("web_1", "only lowercase letters")]
    [InlineData("wEb", "only lowercase letters")]
    public void DnsLabel_TryParseInvalid_SaysWhy(string? text, string reason)
    {
        Assert.False(DnsLabel.TryParse(text, out var label, out var error));
        Assert.Null(label);
        Assert.Contains(reason, error, StringComparison.Ordinal);
    }

    [Fact]
    public void DnsLabel_LengthLimit_Is63()
    {
        Assert.True(DnsLabel.TryParse(new string('a', 63), out _, out _));
        Assert.False(DnsLabel.TryParse(new string('a', 64), out _, out var error));
        Assert.Contains("at most 63", error, StringComparison.Ordinal);
    }

    // ---- HostId --------------------------------------------------------------------------------------------

    [Theory]
    [InlineData("h")]
    [InlineData("1")]
    [InlineData("host-a")]
    [InlineData("node.eu-1.example")]
    public void HostId_TryParseValid_RoundTrips(string text)
    {
        Assert.True(HostId.TryParse(text, out var id, out _));
        Assert.Equal(text, id.ToString());
        Assert.Equal(id, HostId.From(id.ToString()));
    }

    [Theory]
    [InlineData("")]
    [InlineData("Host")]
    [InlineData("-host")]
    [InlineData("host.")]
    [InlineData("host_a")]
    [InlineData("host a")]
    public void HostId_TryParseInvalid_Refused(string text)
    {
        Assert.False(HostId.TryParse(text, out var id, out var error));
        Assert.Null(id);
        Assert.NotEmpty(error);
        Assert.Throws<ArgumentException>(() => HostId.From(text));
    }

    [Fact]
    public void HostId_LengthLimit_Is63()
    {
        Assert.True(HostId.TryParse(new string('h', 63), out _, out _));
        Assert.False(HostId.TryParse(new string('h', 64), out _, out _));
    }

    // ---- CpuQuantity ---------------------------------------------------------------------------------------

    [Theory]
    [InlineData("1000m", 1000, "1")]
    [InlineData("500m", 500, "500m")]
    [InlineData("0.5", 500, "500m")]
    [InlineData("2", 2000, "2")]
    [InlineData("2.0", 2000, "2")]
    [InlineData("1500m", 1500, "1500m")]
    [InlineData("0.001", 1, "1m")]
    [InlineData("1e3", 1_000_000, "1000")]
    [InlineData("1000000", 1_000_000_000, "1000000")]
    public void CpuQuantity_TryParse_CanonicalText(string text, long millicores, string canonical)
    {
        Assert.True(CpuQuantity.TryParse(text, out var cpu, out var error), error);
        Assert.Equal(millicores, cpu.Millicores);
        Assert.Equal(millicores * 1_000_000, cpu.NanoCpus);
        Assert.Equal(canonical, cpu.ToString());
        Assert.True(CpuQuantity.TryParse(cpu.ToString(), out var again, out _));
        Assert.Equal(cpu, again);
    }

    [Theory]
    [InlineData("0", "greater than zero")]
    [InlineData("0m", "greater than zero")]
    [InlineData("-1", "not a CPU quantity")]
    [InlineData("0.0001", "whole number of millicores")]
    [InlineData("0.5m", "whole number of millicores")]
    [InlineData("lots", "not a CPU quantity")]
    [InlineData("1Gi", "not a CPU quantity")]
    [InlineData("", "not a CPU quantity")]
    [InlineData("1000001", "at most a million cores")]
    public void CpuQuantity_TryParseInvalid_SaysWhy(string text, string reason)
    {
        Assert.False(CpuQuantity.TryParse(text, out var cpu, out var error));
        Assert.Null(cpu);
        Assert.Contains(reason, error, StringComparison.Ordinal);
    }

    [Fact]
    public void CpuQuantity_FromMillicoresOutOfRange_Throws()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => CpuQuantity.FromMillicores(0));
        Assert.Throws<ArgumentOutOfRangeException>(() => CpuQuantity.FromMillicores(CpuQuantity.MaxMillicores + 1));
        Assert.Equal("1000000", CpuQuantity.FromMillicores(CpuQuantity.MaxMillicores).ToString());
    }

    // ---- MemoryQuantity ------------------------------------------------------------------------------------

    [Theory]
    [InlineData("1073741824", 1073741824L, "1Gi")]
    [InlineData("1Gi", 1073741824L, "1Gi")]
    [InlineData("1024Mi", 1073741824L, "1Gi")]
    [InlineData("256Mi", 268435456L, "256Mi")]
    [InlineData("1.5Gi", 1610612736L, "1536Mi")]
    [InlineData("6144Ki", 6291456L, "6Mi")]
    [InlineData("1G", 1_000_000_000L, "1G")]
    [InlineData("1000M", 1_000_000_000L, "1G")]
    [InlineData("7000k", 7_000_000L, "7M")]
    [InlineData("10000001", 10_000_001L, "10000001")]
    [InlineData("1Ti", 1L << 40, "1Ti")]
    [InlineData("2T", 2_000_000_000_000L, "2T")]
    [InlineData("2048G", 2_048_000_000_000L, "2048G")]
    [InlineData("3P", 3_000_000_000_000_000L, "3P")]
    [InlineData("8192k", 8_192_000L, "8000Ki")]
    [InlineData("8Ei", long.MaxValue, "")]
    public void MemoryQuantity_TryParse_CanonicalText(string text, long bytes, string canonical)
    {
        var parsed = MemoryQuantity.TryParse(text, out var memory, out var error);
        if (canonical.Length == 0)
        {
            // 8Ei is one byte more than a long holds: refused as larger than any machine's memory.
            Assert.False(parsed);
            Assert.Contains("larger than any machine", error, StringComparison.Ordinal);
            Assert.Equal(long.MaxValue, bytes);
            return;
        }

        Assert.True(parsed, error);
        Assert.Equal(bytes, memory!.Bytes);
        Assert.Equal(canonical, memory.ToString());
        Assert.True(MemoryQuantity.TryParse(memory.ToString(), out var again, out _));
        Assert.Equal(memory, again);
    }

    [Fact]
    public void MemoryQuantity_LargestBinaryPowers_RoundTrip()
    {
        Assert.True(MemoryQuantity.TryParse("7Ei", out var memory, out _));
        Assert.Equal(7L << 60, memory.Bytes);
        Assert.Equal("7Ei", memory.ToString());
    }

    [Theory]
    [InlineData("5Mi", "at least 6Mi")]
    [InlineData("6291455", "at least 6Mi")]
    [InlineData("0", "at least 6Mi")]
    [InlineData("lots", "not a memory quantity")]
    [InlineData("-1Gi", "not a memory quantity")]
    [InlineData("1GB", "unknown suffix")]
    [InlineData("1m", "unknown suffix")]
    [InlineData("9Ei", "larger than any machine")]
    [InlineData("0.5", "whole number of bytes")]
    [InlineData("", "not a memory quantity")]
    public void MemoryQuantity_TryParseInvalid_SaysWhy(string text, string reason)
    {
        Assert.False(MemoryQuantity.TryParse(text, out var memory, out var error));
        Assert.Null(memory);
        Assert.Contains(reason, error, StringComparison.Ordinal);
    }

    [Fact]
    public void MemoryQuantity_FromBytesBelowMinimum_Throws()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => MemoryQuantity.FromBytes(MemoryQuantity.MinBytes - 1));
        Assert.Equal("6Mi", MemoryQuantity.FromBytes(MemoryQuantity.MinBytes).ToString());
    }

    // ---- Duration ------------------------------------------------------------------------------------------

    [Theory]
    [InlineData("90s", 90_000, "1m30s")]
    [InlineData("1m30s", 90_000, "1m30s")]
    [InlineData("500ms", 500, "500ms")]
    [InlineData("1500ms", 1_500, "1s500ms")]
    [InlineData("1.5s", 1_500, "1s500ms")]
    [InlineData("1h", 3_600_000, "1h")]
    [InlineData("25h", 90_000_000, "25h")]
    [InlineData("2h45m", 9_900_000, "2h45m")]
    [InlineData("1000000us", 1_000, "1s")]
    [InlineData("2000000ns", 2, "2ms")]
    [InlineData("0", 0, "0s")]
    [InlineData("0s", 0, "0s")]
    [InlineData("8760h", 31_536_000_000, "8760h")]
    public void Duration_TryParse_CanonicalText(string text, long milliseconds, string canonical)
    {
        Assert.True(Duration.TryParse(text, out var duration, out var error), error);
        Assert.Equal(TimeSpan.FromMilliseconds(milliseconds), duration.Value);
        Assert.Equal(canonical, duration.ToString());
        Assert.True(Duration.TryParse(duration.ToString(), out var again, out _));
        Assert.Equal(duration, again);
    }

    [Theory]
    [InlineData("10", "not a duration")]
    [InlineData("", "not a duration")]
    [InlineData("s", "not a duration")]
    [InlineData("10d", "not a duration")]
    [InlineData("-1s", "not a duration")]
    [InlineData("1 s", "not a duration")]
    [InlineData("1.2.3s", "not a duration")]
    [InlineData("1500us", "whole number of milliseconds")]
    [InlineData("8761h", "365 days")]
    public void Duration_TryParseInvalid_SaysWhy(string text, string reason)
    {
        Assert.False(Duration.TryParse(text, out var duration, out var error));
        Assert.Null(duration);
        Assert.Contains(reason, error, StringComparison.Ordinal);
    }

    [Fact]
    public void Duration_FromInvalidSpan_Throws()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => Duration.From(TimeSpan.FromTicks(1)));
        Assert.Throws<ArgumentOutOfRangeException>(() => Duration.From(TimeSpan.FromSeconds(-1)));
        Assert.Throws<ArgumentOutOfRangeException>(() => Duration.From(TimeSpan.FromDays(366)));
    }

    [Fact]
    public void Duration_Compare_OrdersByLength() =>
        Assert.True(Duration.From(TimeSpan.FromSeconds(2)).CompareTo(Duration.From(TimeSpan.FromSeconds(10))) < 0);

    // ---- Labels --------------------------------------------------------------------------------------------

    [Theory]
    [InlineData("zone", true)]
    [InlineData("Zone_1", true)]
    [InlineData("example.com/tier", true)]
    [InlineData("a", true)]
    [InlineData("-zone", false)]
    [InlineData("zone-", false)]
    [InlineData("a b", false)]
    [InlineData("", false)]
    [InlineData("zone:1", false)]
    public void Labels_IsKey_FollowsRule(string key, bool valid) =>
        Assert.Equal(valid, Labels.IsKey(key));

    [Fact]
    public void Labels_IsKeyLength_AtMost253()
    {
        Assert.True(Labels.IsKey(new string('k', 253)));
        Assert.False(Labels.IsKey(new string('k', 254)));
    }

    [Theory]
    [InlineData("", true)]
    [InlineData("eu-1", true)]
    [InlineData("-lead.and_trail-", true)]
    [InlineData("a b", false)]
    [InlineData("a/b", false)]
    [InlineData("é", false)]
    public void Labels_IsValue_FollowsRule(string value, bool valid) =>
        Assert.Equal(valid, Labels.IsValue(value));

    [Fact]
    public void Labels_IsValueLength_AtMost63()
    {
        Assert.True(Labels.IsValue(new string('v', 63)));
        Assert.False(Labels.IsValue(new string('v', 64)));
    }

    // ---- ValueList / ValueMap ------------------------------------------------------------------------------

    [Fact]
    public void ValueMap_SameEntriesInAnyOrder_EqualWithSameHash()
    {
        var a = new ValueMap([new("b", "2"), new("a", "1")]);
        var b = new ValueMap([new("a", "1"), new("b", "2")]);

        Assert.Equal(a, b);
        Assert.Equal(a.GetHashCode(), b.GetHashCode());
        Assert.NotEqual(a, new ValueMap([new("a", "1"), new("b", "3")]));
        Assert.True(a.Contains(new ValueMap([new("a", "1")])));
        Assert.False(a.Contains(new ValueMap([new("a", "2")])));
    }

    [Fact]
    public void ValueList_SameItems_EqualOnlyInSameOrder()
    {
        Assert.Equal(new ValueList<string>(["a", "b"]), new ValueList<string>(["a", "b"]));
        Assert.NotEqual(new ValueList<string>(["a", "b"]), new ValueList<string>(["b", "a"]));
        Assert.Equal(new ValueList<string>(["a"]).GetHashCode(), new ValueList<string>(["a"]).GetHashCode());
    }
}
