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

    /// <summary>The container name of one replica; unique per deployment revision, replica and host.</summary>
    public static string ContainerName(string deployment, long revision, int index, string hostId) => $"{deployment}-r{revision}-{index}.{hostId}";
}
