using System.Globalization;
using System.Net;
using Workers.DockerEngine.Models;

namespace Workers.HostAgent.Runtime;

/// <summary>
/// A <see cref="ContainerLaunch"/> as the engine's create parameters, with least privilege: not privileged, every
/// capability dropped and only the launch's given back, bridge network (never the host's), <c>no-new-privileges</c>, a
/// pids limit, json-file logs rotated by size, the launch's user and a read-only root file system when asked (with a
/// tmpfs <c>/tmp</c>), no init process, and restart policy <c>no</c>: the control plane owns the desired state and
/// restarts workloads itself, so the engine must not resurrect a container behind its back.
/// </summary>
internal static class DockerLaunchParameters
{
    /// <summary>The <c>/tmp</c> of a read-only container.</summary>
    internal const string TmpfsOptions = "rw,noexec,nosuid,nodev,size=64m";

    /// <summary>Refuses a launch the engine must never see: a missing name or image, a bind address that is no IP address, ports out of range.</summary>
    public static void Validate(ContainerLaunch launch)
    {
        ArgumentNullException.ThrowIfNull(launch);
        ArgumentException.ThrowIfNullOrWhiteSpace(launch.Name, nameof(launch));
        ArgumentException.ThrowIfNullOrWhiteSpace(launch.Image, nameof(launch));
        ArgumentException.ThrowIfNullOrWhiteSpace(launch.BindAddress, nameof(launch));
        if (!IPAddress.TryParse(launch.BindAddress, out _))
        {
            throw new ArgumentException($"bind address '{launch.BindAddress}' is not an IP address", nameof(launch));
        }

        ArgumentNullException.ThrowIfNull(launch.Hardening, nameof(launch));
        ArgumentOutOfRangeException.ThrowIfLessThan(launch.Hardening.PidsLimit, 1, nameof(launch));
        ArgumentOutOfRangeException.ThrowIfLessThan(launch.Hardening.LogMaxFiles, 1, nameof(launch));
        ArgumentException.ThrowIfNullOrWhiteSpace(launch.Hardening.LogMaxSize, nameof(launch));
        foreach (var port in launch.Ports)
        {
            if (port.ContainerPort is < 1 or > 65535 || port.HostPort is < 0 or > 65535)
            {
                throw new ArgumentException($"port {port} is out of range", nameof(launch));
            }

            if (DockerPorts.NormalizeProtocol(port.Protocol) is not ("tcp" or "udp"))
            {
                throw new ArgumentException($"port {port}: protocol must be tcp or udp", nameof(launch));
            }
        }
    }

    /// <summary>The body of the engine's create call (the name goes in its query).</summary>
    public static ContainerCreateRequest Create(ContainerLaunch launch)
    {
        var hardening = launch.Hardening;
        var (exposed, bindings) = DockerPorts.Publish(launch);
        return new ContainerCreateRequest
        {
            Image = launch.Image,
            Env = [.. launch.Env.Select(variable => $"{variable.Key}={variable.Value}")],
            Labels = launch.Labels.ToDictionary(StringComparer.Ordinal),
            ExposedPorts = exposed,

            // Otherwise the image's USER applies.
            User = hardening.User,

            // Otherwise the image's CMD applies.
            Cmd = launch.Command is null ? null : [.. launch.Command],
            HostConfig = new HostConfig
            {
                PortBindings = bindings,
                NanoCpus = launch.NanoCpus ?? 0,
                Memory = launch.MemoryBytes ?? 0,
                RestartPolicy = new RestartPolicy("no"),
                NetworkMode = "bridge",
                Privileged = false,
                CapDrop = ["ALL"],
                CapAdd = [.. hardening.Capabilities],
                SecurityOpt = ["no-new-privileges"],
                PidsLimit = hardening.PidsLimit,
                ReadonlyRootfs = hardening.ReadOnlyRootFilesystem,
                LogConfig = new LogConfig(
                    "json-file",
                    new Dictionary<string, string>(StringComparer.Ordinal)
                    {
                        ["max-size"] = hardening.LogMaxSize,
                        ["max-file"] = hardening.LogMaxFiles.ToString(CultureInfo.InvariantCulture),
                    }),
                Init = false,

                // Docker's own tmpfs options (noexec, nosuid, nodev; mode 1777), bounded: it counts against the memory limit.
                Tmpfs = hardening.ReadOnlyRootFilesystem
                    ? new Dictionary<string, string>(StringComparer.Ordinal) { ["/tmp"] = TmpfsOptions }
                    : null,
            },
        };
    }
}
