using System.Collections.Frozen;
using System.Diagnostics.CodeAnalysis;

namespace Workers.Contracts.Spec;

/// <summary>
/// A Linux capability a container may be given back after every one is dropped, named as Docker's
/// <c>--cap-add</c> takes it without the <c>CAP_</c> prefix (<c>NET_BIND_SERVICE</c>). Only the capabilities the
/// kernel defines (capability.h, up to Linux 6.x) can be held; <c>ALL</c> cannot.
/// </summary>
public sealed record Capability : IComparable<Capability>
{
    private static readonly string[] KnownNames =
    [
        "AUDIT_CONTROL", "AUDIT_READ", "AUDIT_WRITE", "BLOCK_SUSPEND", "BPF", "CHECKPOINT_RESTORE", "CHOWN", "DAC_OVERRIDE",
        "DAC_READ_SEARCH", "FOWNER", "FSETID", "IPC_LOCK", "IPC_OWNER", "KILL", "LEASE", "LINUX_IMMUTABLE", "MAC_ADMIN",
        "MAC_OVERRIDE", "MKNOD", "NET_ADMIN", "NET_BIND_SERVICE", "NET_BROADCAST", "NET_RAW", "PERFMON", "SETFCAP", "SETGID",
        "SETPCAP", "SETUID", "SYS_ADMIN", "SYS_BOOT", "SYS_CHROOT", "SYS_MODULE", "SYS_NICE", "SYS_PACCT", "SYS_PTRACE",
        "SYS_RAWIO", "SYS_RESOURCE", "SYS_TIME", "SYS_TTY_CONFIG", "SYSLOG", "WAKE_ALARM",
    ];

    private static readonly FrozenSet<string> Known = KnownNames.ToFrozenSet(StringComparer.Ordinal);

    private Capability(string name) => Name = name;

    /// <summary>Every capability name the kernel defines, in order.</summary>
    public static IReadOnlyList<string> All { get; } = KnownNames;

    /// <summary>
    /// The capabilities the Docker engine grants a container by default (moby's <c>DefaultCapabilities</c>): what an
    /// agent lets a spec ask back for unless its operator says otherwise.
    /// </summary>
    public static IReadOnlyList<Capability> DockerDefaults { get; } =
    [
        .. new[] { "AUDIT_WRITE", "CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL", "MKNOD", "NET_BIND_SERVICE", "NET_RAW", "SETFCAP", "SETGID", "SETPCAP", "SETUID", "SYS_CHROOT" }
            .Select(name => new Capability(name)),
    ];

    /// <summary>The name, upper case, without <c>CAP_</c>.</summary>
    public string Name { get; }

    /// <summary>Accepts a capability name, or says why not (with the name meant, when it is recognisable).</summary>
    public static bool TryParse(string? text, [NotNullWhen(true)] out Capability? capability, [NotNullWhen(false)] out string? error)
    {
        capability = null;
        if (string.IsNullOrEmpty(text))
        {
            error = "must not be empty";
            return false;
        }

        if (Known.Contains(text))
        {
            (capability, error) = (new Capability(text), null);
            return true;
        }

        var meant = text.ToUpperInvariant();
        meant = meant.StartsWith("CAP_", StringComparison.Ordinal) ? meant[4..] : meant;
        error = meant == "ALL"
            ? "'ALL' cannot be added back; list each capability the workload needs"
            : Known.Contains(meant)
                ? $"'{Shorten(text)}' is not written as Docker names it; write '{meant}'"
                : $"'{Shorten(text)}' is not a Linux capability; expected a name such as NET_BIND_SERVICE or CHOWN";
        return false;
    }

    /// <summary>A capability for a name known to be valid; throws otherwise.</summary>
    /// <exception cref="ArgumentException">The name is not a capability.</exception>
    public static Capability From(string name) =>
        TryParse(name, out var capability, out var error) ? capability : throw new ArgumentException(error, nameof(name));

    /// <inheritdoc />
    public int CompareTo(Capability? other) => other is null ? 1 : string.CompareOrdinal(Name, other.Name);

    /// <inheritdoc />
    public override string ToString() => Name;

    private static string Shorten(string text) => text.Length > 40 ? text[..40] + "…" : text;
}
