namespace Workers.Contracts.Messages;

/// <summary>
/// What an agent lets a spec ask of its host, advertised in its heartbeat so that the planner refuses a spec the
/// agent would refuse, with the agent's reason, before anything starts.
/// </summary>
/// <param name="DynamicPorts">Where the planner picks the host ports a spec leaves out (default 20000-32000).</param>
/// <param name="HostPorts">Every host port a replica may bind: the dynamic range and what the operator adds.</param>
/// <param name="Capabilities">The capabilities a spec may give back after all are dropped (names without <c>CAP_</c>).</param>
public sealed record HostAllowances(HostPortRange DynamicPorts, IReadOnlyList<HostPortRange> HostPorts, IReadOnlyList<string> Capabilities);
