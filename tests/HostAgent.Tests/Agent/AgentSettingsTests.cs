using Workers.HostAgent.Agent;
using Workers.HostAgent.Tests.Support;
using Workers.Transport;

namespace Workers.HostAgent.Tests.Agent;

public sealed class AgentSettingsTests
{
    private const string Password = "pw-that-must-not-show";

    [Fact]
    public void TryRead_GoodSettings_GivesTheBrokerAndTheAgent()
    {
        Assert.True(AgentSettings.TryRead(AgentOptionsTests.Settings(("WORKERS_BROKER", "rabbitmq://agent:secret@rabbit:5672/workers")), out var settings, out var problems), string.Join("; ", problems));

        Assert.Equal(("rabbit", "workers", "host-a"), (settings.Broker.Host, settings.Broker.VirtualHost, settings.Agent.HostId.Value));
    }

    [Fact]
    public void TryRead_BrokerThatDoesNotParse_IsRefusedWithItsName()
    {
        Assert.False(AgentSettings.TryRead(AgentOptionsTests.Settings(("WORKERS_BROKER", "localhost:5672")), out _, out var problems));

        Assert.StartsWith("WORKERS_BROKER: 'localhost:5672' is not a broker address", Assert.Single(problems), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("memory", "WORKERS_BROKER: the in-memory bus is one process's own")]
    [InlineData("", "WORKERS_BROKER is not set")]
    public void TryRead_NoBrokerOrTheInMemoryBus_IsRefused(string broker, string problem)
    {
        Assert.False(AgentSettings.TryRead(AgentOptionsTests.Settings(("WORKERS_BROKER", broker)), out _, out var problems));

        Assert.StartsWith(problem, Assert.Single(problems), StringComparison.Ordinal);
    }

    [Fact]
    public void TryRead_SeveralBadSettings_ListsEveryOneInOneMessage()
    {
        Assert.False(AgentSettings.TryRead(
            AgentOptionsTests.Settings(("WORKERS_BROKER", "http://rabbit/"), ("WORKERS_HOST_ID", "Not A Host"), ("WORKERS_HEARTBEAT_INTERVAL", "often"), ("WORKERS_BIND_ADDRESS", "everywhere")),
            out _,
            out var problems));

        var message = SettingProblems.Message(AgentSettings.Program, problems);
        Assert.StartsWith("workers-agent: 4 settings refused: ", message, StringComparison.Ordinal);
        Assert.Single(message.Split('\n'));
        foreach (var name in new[] { "WORKERS_BROKER", "WORKERS_HOST_ID", "WORKERS_HEARTBEAT_INTERVAL", "WORKERS_BIND_ADDRESS" })
        {
            Assert.Contains(name, message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void TryRead_SecretsInBadSettings_NeverAppearInTheMessage()
    {
        var pem = TestKeys.Control.ToPem();
        Assert.False(AgentSettings.TryRead(
            AgentOptionsTests.Settings(("WORKERS_BROKER", $"rabbitmq://agent:{Password}@rabbit:5672/workers?tls=yes"), ("WORKERS_AGENT_KEY", pem)),
            out _,
            out var problems));

        var message = SettingProblems.Message(AgentSettings.Program, problems);
        Assert.Contains("WORKERS_BROKER", message, StringComparison.Ordinal);
        Assert.Contains("WORKERS_AGENT_KEY holds PEM text", message, StringComparison.Ordinal);
        Assert.DoesNotContain(Password, message, StringComparison.Ordinal);
        Assert.DoesNotContain("-----BEGIN", message, StringComparison.Ordinal);
        Assert.DoesNotContain(pem.Split('\n')[1].Trim(), message, StringComparison.Ordinal);
    }
}
