using Workers.Contracts.Spec;

namespace Workers.Contracts.Messages;

/// <summary>A host port in use on a host, by anything.</summary>
/// <param name="Port">The port number.</param>
/// <param name="Protocol">TCP or UDP.</param>
public sealed record HostPort(int Port, Protocol Protocol);
