using Workers.HostAgent.Agent;

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
        var options = new AgentOptions(Contracts.Spec.HostId.From("host-a"), new Dictionary<string, string>(), "127.0.0.1", TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(10));

        Assert.Null(options.DisconnectStopAfter);
    }

    private static AgentOptions Read(params (string Key, string Value)[] settings)
    {
        Assert.True(AgentOptions.TryRead(Settings(settings), out var options, out var errors), string.Join("; ", errors));
        return options;
    }

    private static Func<string, string?> Settings(params (string Key, string Value)[] settings)
    {
        var all = settings.ToDictionary(s => s.Key, s => s.Value, StringComparer.Ordinal);
        all.TryAdd("WORKERS_HOST_ID", "host-a");
        return key => all.GetValueOrDefault(key);
    }
}
