using System.Globalization;
using Workers.DockerEngine;
using Workers.DockerEngine.Models;

namespace Workers.HostAgent.Runtime;

/// <summary>
/// Port publication on the engine: a launch's ports as the engine's exposed ports and host bindings, and the ports a
/// container holds read back from the engine, as one sorted list without duplicates.
/// </summary>
internal static class DockerPorts
{
    /// <summary>The exposed ports and host bindings of a launch, every binding on the launch's bind address.</summary>
    public static (Dictionary<string, EmptyObject> Exposed, Dictionary<string, IReadOnlyList<PortBinding>> Bindings) Publish(ContainerLaunch launch)
    {
        var exposed = new Dictionary<string, EmptyObject>(StringComparer.Ordinal);
        var bindings = new Dictionary<string, List<PortBinding>>(StringComparer.Ordinal);
        foreach (var port in launch.Ports)
        {
            var key = PortKey(port.ContainerPort, port.Protocol);
            exposed[key] = EmptyObject.Instance;
            if (!bindings.TryGetValue(key, out var list))
            {
                list = [];
                bindings[key] = list;
            }

            list.Add(new PortBinding(
                HostIp: launch.BindAddress,
                HostPort: port.HostPort == 0 ? string.Empty : port.HostPort.ToString(CultureInfo.InvariantCulture)));
        }

        return (exposed, bindings.ToDictionary(binding => binding.Key, IReadOnlyList<PortBinding> (binding) => binding.Value, StringComparer.Ordinal));
    }

    /// <summary>The ports a just-started container holds: a launch that fixed every host port holds exactly those; otherwise the engine is asked.</summary>
    public static async Task<IReadOnlyList<PortPublish>> StartedAsync(DockerEngineClient client, ContainerLaunch launch, string id, CancellationToken cancellationToken) =>
        launch.Ports.All(port => port.HostPort > 0)
            ? Normalized(launch.Ports.Select(port => port with { Protocol = NormalizeProtocol(port.Protocol) }))
            : await BoundAsync(client, id, cancellationToken);

    public static async Task<IReadOnlyList<PortPublish>> BoundAsync(DockerEngineClient client, string id, CancellationToken cancellationToken)
    {
        var inspected = await client.InspectContainerAsync(id, cancellationToken);
        return Bound(inspected);
    }

    public static IReadOnlyList<PortPublish> Bound(ContainerInspectResponse inspected)
    {
        var result = new List<PortPublish>();
        foreach (var (key, bindings) in inspected.NetworkSettings?.Ports ?? new Dictionary<string, IReadOnlyList<PortBinding>?>())
        {
            var slash = key.IndexOf('/', StringComparison.Ordinal);
            var portText = slash < 0 ? key : key[..slash];
            var protocol = NormalizeProtocol(slash < 0 ? "tcp" : key[(slash + 1)..]);
            if (bindings is null
                || !int.TryParse(portText, NumberStyles.None, CultureInfo.InvariantCulture, out var containerPort))
            {
                continue;
            }

            foreach (var binding in bindings)
            {
                if (int.TryParse(binding.HostPort, NumberStyles.None, CultureInfo.InvariantCulture, out var hostPort) && hostPort > 0)
                {
                    result.Add(new PortPublish(containerPort, hostPort, protocol));
                }
            }
        }

        // An IPv4 and an IPv6 binding of the same port are one publication.
        return Normalized(result);
    }

    /// <summary>The published ports of a listed container.</summary>
    public static List<PortPublish> Listed(IEnumerable<PortSummary>? ports) => (ports ?? [])
        .Where(port => port.PublicPort is > 0)
        .Select(port => new PortPublish(port.PrivatePort, port.PublicPort!.Value, NormalizeProtocol(port.Type)))
        .Distinct()
        .OrderBy(port => port.ContainerPort)
        .ThenBy(port => port.Protocol, StringComparer.Ordinal)
        .ThenBy(port => port.HostPort)
        .ToList();

    /// <summary>The engine's words for a host port that something else holds (its API has no code for it).</summary>
    public static bool PortTaken(string reason) =>
        reason.Contains("port is already allocated", StringComparison.Ordinal) || reason.Contains("address already in use", StringComparison.Ordinal);

    public static string NormalizeProtocol(string? protocol) =>
        string.IsNullOrEmpty(protocol) ? "tcp" : protocol.ToLowerInvariant();

    private static List<PortPublish> Normalized(IEnumerable<PortPublish> ports) => ports
        .Distinct()
        .OrderBy(port => port.ContainerPort)
        .ThenBy(port => port.Protocol, StringComparer.Ordinal)
        .ThenBy(port => port.HostPort)
        .ToList();

    private static string PortKey(int port, string protocol) =>
        string.Create(CultureInfo.InvariantCulture, $"{port}/{NormalizeProtocol(protocol)}");
}
