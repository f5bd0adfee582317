namespace Workers.Contracts.Spec;

/// <summary>A container port, published on a host port.</summary>
/// <param name="Container">The port the container listens on.</param>
/// <param name="Host">The host port to publish on; null lets the planner assign a free one.</param>
/// <param name="Protocol">TCP or UDP.</param>
public sealed record PortMapping(Port Container, Port? Host, Protocol Protocol);
