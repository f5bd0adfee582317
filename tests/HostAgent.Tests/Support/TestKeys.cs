using Workers.Security;

namespace Workers.HostAgent.Tests.Support;

/// <summary>Keys for agents under test: the control plane's (commands are signed with it) and an agent's own.</summary>
internal static class TestKeys
{
    public static SigningKey Control { get; } = SigningKey.Generate();

    public static TrustedKeys Trusted { get; } = new([Control.PublicKey]);

    public static AgentKeys Agent { get; } = AgentKeys.Generate();

    /// <summary><see cref="Agent"/> in a key file, for WORKERS_AGENT_KEY.</summary>
    public static string AgentKeyFile { get; } = WriteAgentKeyFile();

    private static string WriteAgentKeyFile()
    {
        var path = Path.Combine(Path.GetTempPath(), $"workers-test-agent-{Environment.ProcessId}.key");
        File.WriteAllText(path, Agent.ToPem());
        return path;
    }
}
