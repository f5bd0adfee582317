using CsCheck;
using Workers.Contracts.Spec;

namespace Workers.Contracts.Tests;

/// <summary>Generators of valid specs, built through the value types and the internal constructors.</summary>
internal static class SpecGenerators
{
    private const string Lower = "abcdefghijklmnopqrstuvwxyz";
    private const string Digits = "0123456789";

    /// <summary>Pieces of text that YAML and JSON treat specially, so that quoting is exercised.</summary>
    private static readonly string[] TextPieces =
    [
        "a", "Z", "0", " ", ":", ": ", "#", " #", "'", "\"", "\\", "\n", "\t", "\r", "{", "}", "[", "]", ",", "-", "- ", "*",
        "&", "!", "%", "@", "`", "|", ">", "?", "null", "true", "~", "3", "0x1F", "1e3", "é", "€", "😀", "中", "\u2028", "/",
    ];

    public static readonly Gen<string> Text = Gen.OneOfConst(TextPieces).Array[0, 8].Select(string.Concat);

    public static readonly Gen<string> NonEmptyText = Gen.OneOfConst(TextPieces).Array[1, 8].Select(string.Concat);

    public static readonly Gen<DnsLabel> Name =
        Gen.Select(Gen.Char[Lower], Gen.String[Gen.Char[Lower + Digits + "-"], 0, 20], Gen.Char[Lower + Digits], Gen.Bool)
            .Select((first, middle, last, single) => Parse<DnsLabel>(single ? first.ToString() : first + middle + last, DnsLabel.TryParse));

    private static readonly Gen<string> PathComponent =
        Gen.Select(Gen.String[Gen.Char[Lower + Digits], 1, 6], Gen.OneOfConst("", "-", ".", "_", "__"), Gen.String[Gen.Char[Lower + Digits], 1, 4])
            .Select((a, separator, b) => separator.Length == 0 ? a : a + separator + b);

    public static readonly Gen<ImageReference> Image =
        Gen.Select(
                Gen.OneOfConst("", "registry.example.com/", "localhost/", "localhost:5000/", "[::1]:5000/", "10.0.0.1:443/", "ghcr.io/"),
                PathComponent.Array[1, 3],
                Gen.OneOf(Gen.Const(""), Gen.String[Gen.Char[Lower + Digits + "._-ABC"], 0, 10].Select(t => ":v" + t)),
                Gen.OneOf(Gen.Const(""), Gen.String[Gen.Char["0123456789abcdef"], 64, 64].Select(d => "@sha256:" + d)))
            .Select((domain, path, tag, digest) => Parse<ImageReference>(domain + string.Join('/', path) + tag + digest, ImageReference.TryParse));

    private static readonly Gen<string> EnvKey =
        Gen.Select(Gen.Char[Lower + "ABCXYZ_"], Gen.String[Gen.Char[Lower + "ABCXYZ_" + Digits], 0, 12], (first, rest) => first + rest);

    public static readonly Gen<SecretName> Secret =
        Gen.Select(Gen.Char[Lower + Digits], Gen.String[Gen.Char[Lower + Digits + "-"], 0, 20], Gen.Char[Lower + Digits], Gen.Bool)
            .Select((first, middle, last, single) => Parse<SecretName>(single ? first.ToString() : first + middle + last, SecretName.TryParse));

    /// <summary>Literal values mostly, and now and then a secret reference.</summary>
    private static readonly Gen<EnvValue> EnvEntryValue =
        Gen.Frequency((4, Text.Select(EnvValue.Of)), (1, Secret.Select(EnvValue.FromSecret)));

    public static readonly Gen<EnvMap> Env =
        Gen.Select(EnvKey, EnvEntryValue, (key, value) => new KeyValuePair<string, EnvValue>(key, value)).Array[0, 5]
            .Select(entries => new EnvMap(entries.DistinctBy(e => e.Key)));

    private static readonly Gen<Port> PortNumber =
        Gen.Frequency((1, Gen.OneOfConst(1, 65535)), (6, Gen.Int[1, 65535])).Select(Port.From);

    public static readonly Gen<ValueList<PortMapping>> Ports =
        Gen.Select(PortNumber, PortNumber.Null(), Gen.Frequency((3, Gen.Const(Protocol.Tcp)), (1, Gen.Const(Protocol.Udp))))
            .Select((container, host, protocol) => new PortMapping(container, host, protocol))
            .Array[0, 5]
            .Select(candidates =>
            {
                // Keep only entries that respect the rules: unique (container, protocol) and (host, protocol).
                var containers = new HashSet<(Port, Protocol)>();
                var hosts = new HashSet<(Port, Protocol)>();
                var kept = candidates.Where(p =>
                    !containers.Contains((p.Container, p.Protocol)) && (p.Host is null || !hosts.Contains((p.Host, p.Protocol))) &&
                    containers.Add((p.Container, p.Protocol)) && (p.Host is null || hosts.Add((p.Host, p.Protocol))));
                return new ValueList<PortMapping>([.. kept]);
            });

    public static readonly Gen<ResourceLimits> Resources = Gen.Select(
        Gen.Frequency((1, Gen.OneOfConst(1L, 1000L, CpuQuantity.MaxMillicores)), (4, Gen.Long[1, CpuQuantity.MaxMillicores])).Select(CpuQuantity.FromMillicores).Null(),
        Gen.Frequency(
            (1, Gen.OneOfConst(MemoryQuantity.MinBytes, long.MaxValue, 7L << 60)),
            (2, Gen.Long[6, 1 << 20].Select(n => n << 20)),
            (2, Gen.Long[MemoryQuantity.MinBytes, long.MaxValue])).Select(MemoryQuantity.FromBytes).Null(),
        Gen.Frequency((3, Gen.OneOfConst<int?>(null, 1, ResourceLimits.MaxPids)), (2, Gen.Int[1, ResourceLimits.MaxPids].Select(p => (int?)p))),
        (cpu, memory, pids) => new ResourceLimits(cpu, memory) { Pids = pids });

    private static readonly Gen<string> UserPart = Gen.OneOf(
        Gen.Int[0, int.MaxValue].Select(id => id.ToString(System.Globalization.CultureInfo.InvariantCulture)),
        Gen.Select(Gen.Char[Lower + "ABC_"], Gen.String[Gen.Char[Lower + "XYZ" + Digits + "_.-"], 0, 31], (first, rest) => first + rest));

    public static readonly Gen<ContainerUser> User =
        Gen.Select(UserPart, UserPart.Null(), (user, group) => ContainerUser.From(group is null ? user : user + ":" + group));

    public static readonly Gen<ValueList<Capability>> Capabilities =
        Gen.OneOfConst([.. Capability.All]).Array[0, 5].Select(names => new ValueList<Capability>(names.Distinct().Select(Capability.From)));

    private static readonly Gen<ValueList<string>> Strings = NonEmptyText.Array[1, 4].Select(items => new ValueList<string>(items));

    /// <summary>A health check whose port is one of the TCP container ports; a command probe when there are none.</summary>
    public static Gen<HealthCheck> HealthCheck(ValueList<PortMapping> ports)
    {
        var tcpPorts = ports.Where(p => p.Protocol == Protocol.Tcp).Select(p => p.Container).ToArray();
        var commandProbe = Strings.Select(command => (HealthProbe)new CommandProbe(command));
        var probe = tcpPorts.Length == 0
            ? commandProbe
            : Gen.OneOf(
                commandProbe,
                Gen.OneOfConst(tcpPorts).Select(port => (HealthProbe)new TcpProbe(port)),
                Gen.Select(Gen.OneOfConst(tcpPorts), Gen.String[Gen.Char[Lower + Digits + "/._-?=&%"], 0, 12], (port, path) => (HealthProbe)new HttpProbe(port, "/" + path)));
        var interval = Gen.Frequency((3, Gen.Long[2, 120_000]), (1, Gen.Long[2, 365L * 24 * 3_600_000]));
        return Gen.Select(probe, interval, Gen.Double[0, 1], Gen.Int[1, 100], (p, intervalMs, fraction, retries) =>
        {
            var timeoutMs = Math.Clamp((long)(fraction * intervalMs), 1, intervalMs - 1);
            return new HealthCheck(p, Duration.From(TimeSpan.FromMilliseconds(intervalMs)), Duration.From(TimeSpan.FromMilliseconds(timeoutMs)), retries);
        });
    }

    private static readonly Gen<string> LabelKey = Gen.Select(
        Gen.Char[Lower + "ABC" + Digits],
        Gen.String[Gen.Char[Lower + "XYZ" + Digits + "._/-"], 0, 20],
        Gen.Char[Lower + Digits],
        Gen.Bool,
        (first, middle, last, single) => single ? first.ToString() : first + middle + last);

    public static readonly Gen<Placement> Placement = Gen.Select(
        Gen.Select(LabelKey, Gen.String[Gen.Char[Lower + "ABC" + Digits + "._-"], 0, 63], (k, v) => new KeyValuePair<string, string>(k, v)).Array[0, 4]
            .Select(entries => new ValueMap(entries.DistinctBy(e => e.Key))),
        Gen.Select(Gen.Char[Lower + Digits], Gen.String[Gen.Char[Lower + Digits + ".-"], 0, 10], Gen.Char[Lower + Digits], (a, b, c) => HostId.From(a + b + c))
            .Array[1, 4].Select(hosts => new ValueList<HostId>(hosts.Distinct())).Null(),
        (labels, hosts) => new Placement(labels, hosts));

    public static readonly Gen<UpdatePolicy> Update =
        Gen.Select(Gen.Int[0, DeploymentSpec.MaxReplicas], Gen.Int[0, DeploymentSpec.MaxReplicas], Gen.Bool, Gen.Bool, Gen.Int[0, 600_000], Gen.Int[1, 3_600_000])
            .Where((unavailable, surge, _, _, _, _) => unavailable > 0 || surge > 0)
            .Select((unavailable, surge, rollback, small, minReadyMs, extraMs) =>
            {
                var minReady = Duration.From(TimeSpan.FromMilliseconds(minReadyMs));
                var deadline = Duration.From(TimeSpan.FromMilliseconds(minReadyMs + extraMs));
                return small
                    ? new UpdatePolicy(unavailable % 3, surge % 3 == 0 && unavailable % 3 == 0 ? 1 : surge % 3, rollback, minReady, deadline)
                    : new UpdatePolicy(unavailable, surge, rollback, minReady, deadline);
            });

    public static readonly Gen<DeploymentSpec> Spec =
        Gen.Select(Name, Image, Gen.Frequency((3, Gen.Int[1, 5]), (1, Gen.Int[1, DeploymentSpec.MaxReplicas])), Strings.Null(), Env)
            .Select(Ports, Resources, Placement, Update, (head, ports, resources, placement, update) => (head, ports, resources, placement, update))
            .SelectMany(t => Gen.Select(HealthCheck(t.ports).Null(), User.Null(), Gen.Bool, Capabilities, (health, user, readOnly, capabilities) =>
                new DeploymentSpec(t.head.Item1, t.head.Item2, t.head.Item3, t.head.Item4, t.head.Item5, t.ports, t.resources, health, t.placement, t.update, user, readOnly, capabilities)));

    private delegate bool TryParseText<T>(string text, out T? value, out string? error);

    private static T Parse<T>(string text, TryParseText<T> parse) =>
        parse(text, out var value, out var error) ? value! : throw new InvalidOperationException($"generator made an invalid value '{text}': {error}");
}
