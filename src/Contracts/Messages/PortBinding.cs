using Workers.Contracts.Spec;

namespace Workers.Contracts.Messages;

/// <summary>A container port bound to a host port.</summary>
/// <param name="ContainerPort">The port inside the container.</param>
/// <param name="HostPort">The port on the host.</param>
/// <param name="Protocol">TCP or UDP.</param>
public sealed record PortBinding(int ContainerPort, int HostPort, Protocol Protocol);
