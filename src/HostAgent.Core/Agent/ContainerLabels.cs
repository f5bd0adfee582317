using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using Workers.Contracts.Spec;

namespace Workers.HostAgent.Agent;

/// <summary>The labels that make a container Workers' own: Docker's labels are where the agent remembers.</summary>
public static class ContainerLabels
{
    public const string Deployment = "workers.deployment";
    public const string DeploymentId = "workers.deployment-id";
    public const string Revision = "workers.revision";
    public const string Replica = "workers.replica";
    public const string Host = "workers.host";
    public const string CpuMillicores = "workers.cpu-millicores";
    public const string MemoryBytes = "workers.memory-bytes";

    /// <summary>The spec's health check as compact JSON (<see cref="HealthCheckLabel"/>); absent when it has none.</summary>
    public const string Health = "workers.health";

    /// <summary>The spec's <c>update.minReady</c> in milliseconds.</summary>
    public const string MinReadyMs = "workers.min-ready-ms";

    /// <summary>When the start command that made the container was made (Unix milliseconds): older stops leave it alone.</summary>
    public const string CommandAt = "workers.command-at";

    /// <summary>The container name of one replica; unique per deployment revision, replica and host.</summary>
    public static string ContainerName(string deployment, long revision, int index, string hostId) => $"{deployment}-r{revision}-{index}.{hostId}";

    /// <summary>Which replica a container runs; false when it lacks any of the labels that say so.</summary>
    public static bool TryReadReplica(IReadOnlyDictionary<string, string> labels, [NotNullWhen(true)] out ReplicaLabels? replica)
    {
        ArgumentNullException.ThrowIfNull(labels);
        replica = labels.TryGetValue(Deployment, out var name) && name.Length > 0
            && labels.TryGetValue(DeploymentId, out var id) && Guid.TryParse(id, out var deploymentId)
            && labels.TryGetValue(Revision, out var revisionText) && long.TryParse(revisionText, CultureInfo.InvariantCulture, out var revision)
            && labels.TryGetValue(Replica, out var indexText) && int.TryParse(indexText, CultureInfo.InvariantCulture, out var index)
                ? new ReplicaLabels(name, deploymentId, revision, index)
                : null;
        return replica is not null;
    }

    /// <summary>When the container's start command was made; null for a container made before the label existed.</summary>
    public static DateTimeOffset? ReadCommandAt(IReadOnlyDictionary<string, string> labels)
    {
        ArgumentNullException.ThrowIfNull(labels);
        return labels.TryGetValue(CommandAt, out var text) && long.TryParse(text, CultureInfo.InvariantCulture, out var ms)
            ? DateTimeOffset.FromUnixTimeMilliseconds(ms)
            : null;
    }

    /// <summary>The replica's minReady; the spec's default for a container made before the label existed.</summary>
    public static TimeSpan ReadMinReady(IReadOnlyDictionary<string, string> labels)
    {
        ArgumentNullException.ThrowIfNull(labels);
        return labels.TryGetValue(MinReadyMs, out var text) && long.TryParse(text, CultureInfo.InvariantCulture, out var ms) && ms >= 0
            ? TimeSpan.FromMilliseconds(ms)
            : UpdatePolicy.DefaultMinReady.Value;
    }
}

/// <summary>The replica a container runs, as its labels say.</summary>
public sealed record ReplicaLabels(string Name, Guid DeploymentId, long Revision, int Index);
