using Workers.HostAgent.Tests.Support;
using Workers.Transport;

namespace Workers.HostAgent.ServiceBus.Tests;

public sealed class AgentServiceBusSettingsTests
{
    private const string Secret = "c2VjcmV0LXRoYXQtbXVzdC1ub3Qtc2hvdw==";

    private static Func<string, string?> Settings(params (string Key, string Value)[] settings)
    {
        var all = settings.ToDictionary(s => s.Key, s => s.Value, StringComparer.Ordinal);
        all.TryAdd("WORKERS_BROKER", "servicebus://workers-test.servicebus.windows.net/");
        all.TryAdd("WORKERS_HOST_ID", "host-a");
        all.TryAdd("WORKERS_CONTROL_KEYS", TestKeys.Control.PublicKey.Base64);
        all.TryAdd("WORKERS_AGENT_KEY", TestKeys.AgentKeyFile);
        return key => all.GetValueOrDefault(key);
    }

    [Fact]
    public void TryRead_ServiceBusBroker_GivesTheNamespaceTopicAndTheAgent()
    {
        Assert.True(AgentServiceBusSettings.TryRead(Settings(("WORKERS_SERVICEBUS_TOPIC", "flow")), out var settings, out var problems), string.Join("; ", problems));

        Assert.Equal(("workers-test.servicebus.windows.net", "flow", "host-a"), (settings.ServiceBus.FullyQualifiedNamespace, settings.ServiceBus.Topic, settings.Agent.HostId.Value));
    }

    [Fact]
    public void TryRead_HostIdTooLongForASubscriptionName_IsRefusedSayingTheLimit()
    {
        var id = new string('h', 46);

        Assert.False(AgentServiceBusSettings.TryRead(Settings(("WORKERS_HOST_ID", id)), out _, out var problems));

        Assert.Contains("at most 45 characters", Assert.Single(problems), StringComparison.Ordinal);
    }

    [Fact]
    public void TryRead_SeveralBadSettings_ListsEveryOneWithoutTheSecret()
    {
        Assert.False(AgentServiceBusSettings.TryRead(
            Settings(("WORKERS_SERVICEBUS_CONNECTION", $"SharedAccessKey={Secret}"), ("WORKERS_SERVICEBUS_MAX_DELIVERIES", "0"), ("WORKERS_HEARTBEAT_INTERVAL", "often")),
            out _,
            out var problems));

        var message = SettingProblems.Message("workers-agent", problems);
        foreach (var name in new[] { "WORKERS_SERVICEBUS_CONNECTION", "WORKERS_SERVICEBUS_MAX_DELIVERIES", "WORKERS_HEARTBEAT_INTERVAL" })
        {
            Assert.Contains(name, message, StringComparison.Ordinal);
        }

        Assert.DoesNotContain(Secret, message, StringComparison.Ordinal);
    }
}
