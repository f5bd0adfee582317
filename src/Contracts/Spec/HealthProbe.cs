namespace Workers.Contracts.Spec;

/// <summary>How a replica's health is checked: exactly one of HTTP, TCP or a command.</summary>
public abstract record HealthProbe;

/// <summary>Healthy when an HTTP GET of <paramref name="Path"/> on <paramref name="Port"/> answers 2xx or 3xx.</summary>
/// <param name="Port">One of the spec's container ports.</param>
/// <param name="Path">The request path, starting with '/'.</param>
public sealed record HttpProbe(Port Port, string Path) : HealthProbe;

/// <summary>Healthy when a TCP connection to <paramref name="Port"/> is accepted.</summary>
/// <param name="Port">One of the spec's container ports.</param>
public sealed record TcpProbe(Port Port) : HealthProbe;

/// <summary>Healthy when the command, run inside the container, exits 0.</summary>
/// <param name="Command">The command and its arguments; not empty.</param>
public sealed record CommandProbe(ValueList<string> Command) : HealthProbe;
