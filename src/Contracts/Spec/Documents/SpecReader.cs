using System.Text.RegularExpressions;

namespace Workers.Contracts.Spec.Documents;

/// <summary>Reads a document tree into a <see cref="DeploymentSpec"/>, reporting every problem it finds.</summary>
internal sealed partial class SpecReader(ProblemList problems) : NodeReader(problems)
{
    /// <summary>TCP container ports declared by any entry, even one with other mistakes, for the health-check rule.</summary>
    private readonly SortedSet<int> _tcpContainerPorts = [];

    private readonly Dictionary<string, (int Line, int Column)> _locations = new(StringComparer.Ordinal);

    /// <summary>Where each secret reference was written (its name's node), by the path of its variable.</summary>
    public IReadOnlyDictionary<string, (int Line, int Column)> Locations => _locations;

    private static readonly Duration DefaultInterval = Duration.From(TimeSpan.FromSeconds(10));
    private static readonly Duration DefaultTimeout = Duration.From(TimeSpan.FromSeconds(2));

    public DeploymentSpec? Read(Node root)
    {
        const string path = SpecPath.Root;
        var fields = Fields(root, path, "name", "image", "replicas", "command", "env", "ports", "resources", "healthCheck", "placement", "update",
            "user", "readOnlyRootFilesystem", "capabilities");
        if (fields is null)
        {
            return null;
        }

        Required(fields, root, path, "name");
        Required(fields, root, path, "image");
        var name = Field(fields, path, "name", ReadName);
        var image = Field(fields, path, "image", ReadImage);
        var replicas = fields.TryGetValue("replicas", out var r) ? ReadReplicas(r.Value, "replicas") : 1;
        var command = Field(fields, path, "command", ReadCommand);
        var env = Field(fields, path, "env", ReadEnv) ?? EnvMap.Empty;
        var ports = Field(fields, path, "ports", ReadPorts) ?? ValueList<PortMapping>.Empty;
        var resources = Field(fields, path, "resources", ReadResources) ?? ResourceLimits.None;
        var healthCheck = Field(fields, path, "healthCheck", ReadHealthCheck);
        var placement = Field(fields, path, "placement", ReadPlacement) ?? Placement.Anywhere;
        var update = Field(fields, path, "update", ReadUpdate) ?? UpdatePolicy.Default;
        var user = Field(fields, path, "user", ReadUser);
        var readOnly = fields.TryGetValue("readOnlyRootFilesystem", out var ro) ? Boolean(ro.Value, SpecPath.Field(path, "readOnlyRootFilesystem")) : false;
        var capabilities = Field(fields, path, "capabilities", ReadCapabilities) ?? ValueList<Capability>.Empty;

        return name is null || image is null || replicas is null || readOnly is null || Problems.Any
            ? null
            : new DeploymentSpec(name, image, (int)replicas, command, env, ports, resources, healthCheck, placement, update, user, readOnly.Value, capabilities);
    }

    private static T? Field<T>(Dictionary<string, (ScalarNode Key, Node Value)> fields, string path, string name, Func<Node, string, T?> read)
        where T : class =>
        fields.TryGetValue(name, out var field) ? read(field.Value, SpecPath.Field(path, name)) : null;

    private DnsLabel? ReadName(Node node, string path) =>
        Parsed<DnsLabel>(node, path, String(node, path), DnsLabel.TryParse, "name.invalid");

    private ImageReference? ReadImage(Node node, string path) =>
        Parsed<ImageReference>(node, path, String(node, path), ImageReference.TryParse, "image.invalid");

    private T? Parsed<T>(Node node, string path, string? text, TryParseText<T> parse, string code)
        where T : class
    {
        if (text is null)
        {
            return null;
        }

        if (parse(text, out var value, out var error))
        {
            return value;
        }

        Problems.Add(node, path, code, error!);
        return null;
    }

    private long? ReadReplicas(Node node, string path)
    {
        var replicas = Integer(node, path);
        if (replicas is < 1 or > DeploymentSpec.MaxReplicas)
        {
            Problems.Add(node, path, "replicas.range", $"must be between 1 and {DeploymentSpec.MaxReplicas}, got {replicas}");
            return null;
        }

        return replicas;
    }

    private ValueList<string>? ReadStrings(Node node, string path)
    {
        if (Sequence(node, path) is not { } sequence)
        {
            return null;
        }

        var items = new List<string>(sequence.Items.Count);
        for (var i = 0; i < sequence.Items.Count; i++)
        {
            if (Text(sequence.Items[i], SpecPath.Index(path, i)) is { } text)
            {
                items.Add(text);
            }
        }

        if (items.Count == 0 && sequence.Items.Count == 0)
        {
            Problems.Add(node, path, "command.empty", "must hold at least the program to run; leave the key out to use the image's own command");
        }

        return items.Count == sequence.Items.Count ? new ValueList<string>(items) : null;
    }

    private ValueList<string>? ReadCommand(Node node, string path) => ReadStrings(node, path);

    private EnvMap? ReadEnv(Node node, string path)
    {
        if (node is not MappingNode mapping)
        {
            TypeMismatch(node, path, "a map of names to values");
            return null;
        }

        var env = new List<KeyValuePair<string, EnvValue>>();
        foreach (var (key, value) in mapping.Entries)
        {
            var entryPath = SpecPath.Field(path, key.Text);
            if (!EnvName().IsMatch(key.Text))
            {
                Problems.Add(key, entryPath, "env.key", $"'{Shorten(key.Text)}' is not a variable name; use letters, digits and '_', not starting with a digit");
            }

            var read = value switch
            {
                ScalarNode { Kind: ScalarKind.Null } => EnvValue.Of(string.Empty),
                MappingNode => ReadSecretReference(value, entryPath),
                _ => Text(value, entryPath, "a scalar value or { secret: NAME } (lists are not allowed)") is { } text ? EnvValue.Of(text) : null,
            };
            if (read is not null)
            {
                env.Add(new(key.Text, read));
            }
        }

        return new EnvMap(env);
    }

    /// <summary><c>{ secret: NAME }</c>: the name only; where it was written is kept for checks made after parsing.</summary>
    private EnvValue? ReadSecretReference(Node node, string path)
    {
        if (Fields(node, path, "secret") is not { } fields)
        {
            return null;
        }

        Required(fields, node, path, "secret");
        if (!fields.TryGetValue("secret", out var secret))
        {
            return null;
        }

        var secretPath = SpecPath.Field(path, "secret");
        if (Parsed<SecretName>(secret.Value, secretPath, String(secret.Value, secretPath), SecretName.TryParse, "secret.invalid") is not { } name)
        {
            return null;
        }

        _locations[path] = (secret.Value.Line, secret.Value.Column);
        return EnvValue.FromSecret(name);
    }

    private ValueList<PortMapping>? ReadPorts(Node node, string path)
    {
        if (Sequence(node, path) is not { } sequence)
        {
            return null;
        }

        var ports = new List<PortMapping>();
        var hostPorts = new Dictionary<(int, Protocol), int>();
        var containerPorts = new Dictionary<(int, Protocol), int>();
        for (var i = 0; i < sequence.Items.Count; i++)
        {
            var itemPath = SpecPath.Index(path, i);
            var item = sequence.Items[i];
            if (Fields(item, itemPath, "container", "host", "protocol") is not { } fields)
            {
                continue;
            }

            Required(fields, item, itemPath, "container");
            var container = fields.TryGetValue("container", out var c) ? ReadPort(c.Value, SpecPath.Field(itemPath, "container")) : null;
            var host = fields.TryGetValue("host", out var h) ? ReadPort(h.Value, SpecPath.Field(itemPath, "host")) : null;
            var protocol = fields.TryGetValue("protocol", out var p) ? ReadProtocol(p.Value, SpecPath.Field(itemPath, "protocol")) : Protocol.Tcp;
            if (container is not null && protocol == Protocol.Tcp)
            {
                _tcpContainerPorts.Add(container.Value);
            }

            if (container is null || protocol is null || (h.Value is not null && host is null))
            {
                continue;
            }

            if (!containerPorts.TryAdd((container.Value, protocol.Value), i))
            {
                Problems.Add(c.Value, SpecPath.Field(itemPath, "container"), "port.duplicate-container",
                    $"container port {container}/{Lower(protocol.Value)} is already published by ports[{containerPorts[(container.Value, protocol.Value)]}]");
            }

            if (host is not null && !hostPorts.TryAdd((host.Value, protocol.Value), i))
            {
                Problems.Add(h.Value!, SpecPath.Field(itemPath, "host"), "port.duplicate-host",
                    $"host port {host}/{Lower(protocol.Value)} is already used by ports[{hostPorts[(host.Value, protocol.Value)]}]");
            }

            ports.Add(new PortMapping(container, host, protocol.Value));
        }

        return new ValueList<PortMapping>(ports);
    }

    private Port? ReadPort(Node node, string path)
    {
        if (Integer(node, path) is not { } number)
        {
            return null;
        }

        if (Port.TryCreate(number, out var port, out var error))
        {
            return port;
        }

        Problems.Add(node, path, "port.range", $"port {error}");
        return null;
    }

    private Protocol? ReadProtocol(Node node, string path)
    {
        switch (String(node, path))
        {
            case "tcp":
                return Protocol.Tcp;
            case "udp":
                return Protocol.Udp;
            case { } other:
                Problems.Add(node, path, "port.protocol", $"protocol must be 'tcp' or 'udp', got '{Shorten(other)}'");
                return null;
            default:
                return null;
        }
    }

    private ResourceLimits? ReadResources(Node node, string path)
    {
        if (Fields(node, path, "cpu", "memory", "pids") is not { } fields)
        {
            return null;
        }

        CpuQuantity? cpu = null;
        MemoryQuantity? memory = null;
        if (fields.TryGetValue("cpu", out var c))
        {
            var cpuPath = SpecPath.Field(path, "cpu");
            cpu = Parsed<CpuQuantity>(c.Value, cpuPath, Text(c.Value, cpuPath, "a CPU quantity"), CpuQuantity.TryParse, "cpu.invalid");
        }

        if (fields.TryGetValue("memory", out var m))
        {
            var memoryPath = SpecPath.Field(path, "memory");
            memory = Parsed<MemoryQuantity>(m.Value, memoryPath, Text(m.Value, memoryPath, "a memory quantity"), MemoryQuantity.TryParse, "memory.invalid");
        }

        int? pids = null;
        if (fields.TryGetValue("pids", out var p))
        {
            var pidsPath = SpecPath.Field(path, "pids");
            var value = Integer(p.Value, pidsPath);
            if (value is < 1 or > ResourceLimits.MaxPids)
            {
                Problems.Add(p.Value, pidsPath, "pids.range", $"must be between 1 and {ResourceLimits.MaxPids}, got {value}");
            }
            else
            {
                pids = (int?)value;
            }
        }

        return new ResourceLimits(cpu, memory) { Pids = pids };
    }

    private ContainerUser? ReadUser(Node node, string path)
    {
        // `user: 1000` is a number to YAML and JSON: taken as its text, as for env values; true/false is not a user.
        if (node is not ScalarNode { Kind: ScalarKind.String or ScalarKind.Number } scalar)
        {
            TypeMismatch(node, path, "a user name or id, optionally with ':group'");
            return null;
        }

        return Parsed<ContainerUser>(node, path, scalar.Text, ContainerUser.TryParse, "user.invalid");
    }

    private ValueList<Capability>? ReadCapabilities(Node node, string path)
    {
        if (Sequence(node, path) is not { } sequence)
        {
            return null;
        }

        var capabilities = new List<Capability>();
        for (var i = 0; i < sequence.Items.Count; i++)
        {
            var item = sequence.Items[i];
            var itemPath = SpecPath.Index(path, i);
            if (Parsed<Capability>(item, itemPath, String(item, itemPath), Capability.TryParse, "capability.invalid") is not { } capability)
            {
                continue;
            }

            if (capabilities.Contains(capability))
            {
                Problems.Add(item, itemPath, "capability.duplicate", $"capability {capability} is listed twice");
                continue;
            }

            capabilities.Add(capability);
        }

        return new ValueList<Capability>(capabilities);
    }

    private HealthCheck? ReadHealthCheck(Node node, string path)
    {
        if (Fields(node, path, "http", "tcp", "command", "interval", "timeout", "retries") is not { } fields)
        {
            return null;
        }

        var kinds = new[] { "http", "tcp", "command" }.Where(fields.ContainsKey).ToList();
        if (kinds.Count != 1)
        {
            var at = kinds.Count == 0 ? node : fields[kinds[1]].Key;
            Problems.Add(at, path, "health.probe", kinds.Count == 0
                ? "needs exactly one of 'http', 'tcp' or 'command'"
                : $"needs exactly one of 'http', 'tcp' or 'command', got {string.Join(" and ", kinds.Select(k => $"'{k}'"))}");
        }

        HealthProbe? probe = null;
        if (fields.TryGetValue("http", out var http))
        {
            probe = ReadHttpProbe(http.Value, SpecPath.Field(path, "http"));
        }

        if (fields.TryGetValue("tcp", out var tcp))
        {
            var tcpPath = SpecPath.Field(path, "tcp");
            if (Fields(tcp.Value, tcpPath, "port") is { } tcpFields)
            {
                Required(tcpFields, tcp.Value, tcpPath, "port");
                var port = tcpFields.TryGetValue("port", out var p) ? ReadProbePort(p.Value, SpecPath.Field(tcpPath, "port")) : null;
                probe = port is null ? null : new TcpProbe(port);
            }
        }

        if (fields.TryGetValue("command", out var command))
        {
            var strings = ReadStrings(command.Value, SpecPath.Field(path, "command"));
            probe = strings is null ? null : new CommandProbe(strings);
        }

        var interval = fields.TryGetValue("interval", out var i) ? ReadDuration(i.Value, SpecPath.Field(path, "interval")) : DefaultInterval;
        var timeout = fields.TryGetValue("timeout", out var t)
            ? ReadDuration(t.Value, SpecPath.Field(path, "timeout"))
            : interval is not null && interval.CompareTo(DefaultTimeout) <= 0 ? Duration.From(TimeSpan.FromMilliseconds(Math.Floor(interval.Value.TotalMilliseconds / 2))) : DefaultTimeout;
        var retries = 3L;
        if (fields.TryGetValue("retries", out var rt))
        {
            var value = Integer(rt.Value, SpecPath.Field(path, "retries"));
            if (value is < 1 or > 100)
            {
                Problems.Add(rt.Value, SpecPath.Field(path, "retries"), "health.retries", $"must be between 1 and 100, got {value}");
            }

            retries = value ?? 0;
        }

        if (interval is not null && timeout is not null && timeout.CompareTo(interval) >= 0)
        {
            var at = t.Value ?? i.Value ?? node;
            Problems.Add(at, SpecPath.Field(path, t.Value is null ? "interval" : "timeout"), "health.timeout",
                $"timeout ({timeout}) must be shorter than interval ({interval})");
        }

        return probe is null || interval is null || timeout is null || retries is < 1 or > 100 || kinds.Count != 1
            ? null
            : new HealthCheck(probe, interval, timeout, (int)retries);
    }

    private HttpProbe? ReadHttpProbe(Node node, string path)
    {
        if (Fields(node, path, "port", "path") is not { } fields)
        {
            return null;
        }

        Required(fields, node, path, "port");
        var port = fields.TryGetValue("port", out var p) ? ReadProbePort(p.Value, SpecPath.Field(path, "port")) : null;
        var requestPath = "/";
        if (fields.TryGetValue("path", out var rp))
        {
            var text = String(rp.Value, SpecPath.Field(path, "path"));
            if (text is not null && (!text.StartsWith('/') || text.Any(char.IsControl) || text.Contains(' ', StringComparison.Ordinal)))
            {
                Problems.Add(rp.Value, SpecPath.Field(path, "path"), "health.path", "must start with '/' and hold no spaces or control characters");
                text = null;
            }

            requestPath = text!;
        }

        return port is null || requestPath is null ? null : new HttpProbe(port, requestPath);
    }

    private Port? ReadProbePort(Node node, string path)
    {
        var port = ReadPort(node, path);
        if (port is not null && !_tcpContainerPorts.Contains(port.Value))
        {
            var declared = _tcpContainerPorts.Count == 0 ? "none are declared in 'ports'" : string.Join(", ", _tcpContainerPorts);
            Problems.Add(node, path, "health.port", $"port {port} is not one of the spec's TCP container ports ({declared})");
            return null;
        }

        return port;
    }

    private Duration? ReadDuration(Node node, string path)
    {
        var duration = Parsed<Duration>(node, path, Text(node, path, "a duration"), Duration.TryParse, "duration.invalid");
        if (duration is not null && duration.Value <= TimeSpan.Zero)
        {
            Problems.Add(node, path, "duration.range", "must be longer than zero");
            return null;
        }

        return duration;
    }

    private Placement? ReadPlacement(Node node, string path)
    {
        if (Fields(node, path, "labels", "hosts") is not { } fields)
        {
            return null;
        }

        var labels = ValueMap.Empty;
        if (fields.TryGetValue("labels", out var l))
        {
            labels = ReadLabels(l.Value, SpecPath.Field(path, "labels")) ?? ValueMap.Empty;
        }

        ValueList<HostId>? hosts = null;
        if (fields.TryGetValue("hosts", out var h))
        {
            hosts = ReadHosts(h.Value, SpecPath.Field(path, "hosts"));
        }

        return new Placement(labels, hosts);
    }

    private ValueMap? ReadLabels(Node node, string path)
    {
        if (node is not MappingNode mapping)
        {
            TypeMismatch(node, path, "a map of label names to values");
            return null;
        }

        var labels = new List<KeyValuePair<string, string>>();
        foreach (var (key, value) in mapping.Entries)
        {
            var entryPath = SpecPath.Field(path, key.Text);
            if (!Labels.IsKey(key.Text))
            {
                Problems.Add(key, entryPath, "label.key", $"'{Shorten(key.Text)}' is not a label name; {Labels.KeyRule}");
            }

            if (Text(value, entryPath, "a label value") is { } text)
            {
                if (!Labels.IsValue(text))
                {
                    Problems.Add(value, entryPath, "label.value", $"'{Shorten(text)}' is not a label value; {Labels.ValueRule}");
                }

                labels.Add(new(key.Text, text));
            }
        }

        return new ValueMap(labels);
    }

    private ValueList<HostId>? ReadHosts(Node node, string path)
    {
        if (Sequence(node, path) is not { } sequence)
        {
            return null;
        }

        var hosts = new List<HostId>();
        for (var i = 0; i < sequence.Items.Count; i++)
        {
            var item = sequence.Items[i];
            var itemPath = SpecPath.Index(path, i);
            if (Parsed<HostId>(item, itemPath, String(item, itemPath), HostId.TryParse, "host.invalid") is not { } host)
            {
                continue;
            }

            if (hosts.Contains(host))
            {
                Problems.Add(item, itemPath, "host.duplicate", $"host '{host}' is listed twice");
                continue;
            }

            hosts.Add(host);
        }

        if (sequence.Items.Count == 0)
        {
            Problems.Add(node, path, "host.empty", "an empty allow-list admits no host; leave 'hosts' out to allow every host");
        }

        return new ValueList<HostId>(hosts);
    }

    private UpdatePolicy? ReadUpdate(Node node, string path)
    {
        if (Fields(node, path, "maxUnavailable", "maxSurge", "autoRollback", "minReady", "progressDeadline") is not { } fields)
        {
            return null;
        }

        var maxUnavailable = fields.TryGetValue("maxUnavailable", out var u) ? ReadCount(u.Value, SpecPath.Field(path, "maxUnavailable")) : UpdatePolicy.Default.MaxUnavailable;
        var maxSurge = fields.TryGetValue("maxSurge", out var s) ? ReadCount(s.Value, SpecPath.Field(path, "maxSurge")) : UpdatePolicy.Default.MaxSurge;
        var autoRollback = fields.TryGetValue("autoRollback", out var a) ? Boolean(a.Value, SpecPath.Field(path, "autoRollback")) : UpdatePolicy.Default.AutoRollback;
        var minReady = fields.TryGetValue("minReady", out var m)
            ? Parsed<Duration>(m.Value, SpecPath.Field(path, "minReady"), Text(m.Value, SpecPath.Field(path, "minReady"), "a duration"), Duration.TryParse, "duration.invalid")
            : UpdatePolicy.DefaultMinReady;
        var progressDeadline = fields.TryGetValue("progressDeadline", out var p) ? ReadDuration(p.Value, SpecPath.Field(path, "progressDeadline")) : UpdatePolicy.DefaultProgressDeadline;
        if (maxUnavailable == 0 && maxSurge == 0)
        {
            Problems.Add(s.Value ?? u.Value ?? node, path, "update.zero", "maxUnavailable and maxSurge cannot both be 0: an update could then never make progress");
        }

        if (minReady is not null && progressDeadline is not null && progressDeadline.CompareTo(minReady) <= 0)
        {
            Problems.Add(p.Value ?? m.Value ?? node, SpecPath.Field(path, p.Value is null ? "minReady" : "progressDeadline"), "update.deadline",
                $"progressDeadline ({progressDeadline}) must be longer than minReady ({minReady}): no replica could ever count as ready in time");
        }

        return maxUnavailable is null || maxSurge is null || autoRollback is null || minReady is null || progressDeadline is null
            || progressDeadline.CompareTo(minReady) <= 0
            ? null
            : new UpdatePolicy((int)maxUnavailable, (int)maxSurge, autoRollback.Value, minReady, progressDeadline);
    }

    private long? ReadCount(Node node, string path)
    {
        var value = Integer(node, path);
        if (value is < 0 or > DeploymentSpec.MaxReplicas)
        {
            Problems.Add(node, path, "update.range", $"must be between 0 and {DeploymentSpec.MaxReplicas}, got {value}");
            return null;
        }

        return value;
    }

    private static string Lower(Protocol protocol) => protocol == Protocol.Tcp ? "tcp" : "udp";

    [GeneratedRegex("^[A-Za-z_][A-Za-z0-9_]*$", RegexOptions.CultureInvariant)]
    private static partial Regex EnvName();

    private delegate bool TryParseText<T>(string text, out T? value, out string? error)
        where T : class;
}
