using System.Text.Json.Serialization;

namespace Workers.Contracts.Spec;

/// <summary>
/// A deployment spec that is valid as a whole: it can only be obtained from <see cref="SpecParser"/>, and on the
/// wire it is written in the spec's own JSON form and parsed again when read.
/// </summary>
[JsonConverter(typeof(DeploymentSpecJsonConverter))]
public sealed record DeploymentSpec
{
    internal DeploymentSpec(
        DnsLabel name,
        ImageReference image,
        int replicas,
        ValueList<string>? command,
        EnvMap env,
        ValueList<PortMapping> ports,
        ResourceLimits resources,
        HealthCheck? healthCheck,
        Placement placement,
        UpdatePolicy update,
        ContainerUser? user,
        bool readOnlyRootFilesystem,
        ValueList<Capability> capabilities)
    {
        Name = name;
        Image = image;
        Replicas = replicas;
        Command = command;
        EnvValues = env;
        Ports = ports;
        Resources = resources;
        HealthCheck = healthCheck;
        Placement = placement;
        Update = update;
        User = user;
        ReadOnlyRootFilesystem = readOnlyRootFilesystem;
        Capabilities = capabilities;
    }

    /// <summary>The most replicas one spec may ask for.</summary>
    public const int MaxReplicas = 10_000;

    /// <summary>The deployment's name.</summary>
    public DnsLabel Name { get; }

    /// <summary>The image every replica runs.</summary>
    public ImageReference Image { get; }

    /// <summary>How many replicas, 1 to <see cref="MaxReplicas"/>.</summary>
    public int Replicas { get; }

    /// <summary>The image's <c>CMD</c> replaced (its <c>ENTRYPOINT</c>, if any, runs with these as arguments), or null for the image's own.</summary>
    public ValueList<string>? Command { get; }

    /// <summary>Every environment variable: literal text or a reference to a secret (<c>{ secret: NAME }</c>).</summary>
    public EnvMap EnvValues { get; }

    /// <summary>The environment variables with literal values; those that refer to a secret are in <see cref="SecretEnv"/>.</summary>
    public ValueMap Env => EnvValues.Literals;

    /// <summary>
    /// The environment variables that refer to a secret, with the secret's name. The spec never holds a secret's value:
    /// the functions seal it to the agent that starts the container (<c>StartReplicas.SealedEnv</c>).
    /// </summary>
    public IReadOnlyDictionary<string, SecretName> SecretEnv => EnvValues.Secrets;

    /// <summary>Published ports; no two share a (host, protocol) or a (container, protocol).</summary>
    public ValueList<PortMapping> Ports { get; }

    /// <summary>Per-replica limits.</summary>
    public ResourceLimits Resources { get; }

    /// <summary>The health check, if any.</summary>
    public HealthCheck? HealthCheck { get; }

    /// <summary>Where replicas may run.</summary>
    public Placement Placement { get; }

    /// <summary>How an update replaces running replicas.</summary>
    public UpdatePolicy Update { get; }

    /// <summary>The user (and group) the container's process runs as, or null for the image's own.</summary>
    public ContainerUser? User { get; }

    /// <summary>Whether the container's root file system is mounted read-only (with a writable tmpfs at <c>/tmp</c>).</summary>
    public bool ReadOnlyRootFilesystem { get; }

    /// <summary>
    /// The capabilities given back to the container after every one is dropped, in order and without duplicates;
    /// empty gives none back. Each must be one the host's agent allows.
    /// </summary>
    public ValueList<Capability> Capabilities { get; }
}
