using System.Buffers;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Workers.Contracts.Spec;

/// <summary>Writes a spec in its own schema, as JSON or YAML, so that parsing the output gives the same spec back.</summary>
public static class SpecWriter
{
    private static readonly JsonWriterOptions Options = new() { Indented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>The spec as a JSON document.</summary>
    /// <param name="spec">The spec.</param>
    public static string ToJson(DeploymentSpec spec)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, Options))
        {
            Write(writer, spec);
        }

        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    /// <summary>The spec as a YAML document (block style, every string double-quoted).</summary>
    /// <param name="spec">The spec.</param>
    public static string ToYaml(DeploymentSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var yaml = new StringBuilder();
        yaml.Append("name: ").AppendLine(Quote(spec.Name.Value));
        yaml.Append("image: ").AppendLine(Quote(spec.Image.ToString()));
        yaml.Append("replicas: ").AppendLine(Number(spec.Replicas));
        if (spec.Command is { } command)
        {
            yaml.Append("command: ").AppendLine(List(command));
        }

        Env(yaml, spec.EnvValues);
        if (spec.Ports.Count > 0)
        {
            yaml.AppendLine("ports:");
            foreach (var port in spec.Ports)
            {
                yaml.Append("  - container: ").AppendLine(port.Container.ToString());
                if (port.Host is { } host)
                {
                    yaml.Append("    host: ").AppendLine(host.ToString());
                }

                yaml.Append("    protocol: ").AppendLine(Protocol(port.Protocol));
            }
        }

        if (spec.Resources.Cpu is not null || spec.Resources.Memory is not null || spec.Resources.Pids is not null)
        {
            yaml.AppendLine("resources:");
            Scalar(yaml, "  cpu", spec.Resources.Cpu?.ToString());
            Scalar(yaml, "  memory", spec.Resources.Memory?.ToString());
            if (spec.Resources.Pids is { } pids)
            {
                yaml.Append("  pids: ").AppendLine(Number(pids));
            }
        }

        // Left out when they ask nothing, so that a spec that does not use them reads the same to an older agent.
        Scalar(yaml, "user", spec.User?.Value);
        if (spec.ReadOnlyRootFilesystem)
        {
            yaml.AppendLine("readOnlyRootFilesystem: true");
        }

        if (spec.Capabilities.Count > 0)
        {
            yaml.Append("capabilities: ").AppendLine(List(spec.Capabilities.Select(c => c.Name)));
        }

        if (spec.HealthCheck is { } health)
        {
            yaml.AppendLine("healthCheck:");
            yaml.Append(health.Probe switch
            {
                HttpProbe http => $"  http: {{ port: {http.Port}, path: {Quote(http.Path)} }}",
                TcpProbe tcp => $"  tcp: {{ port: {tcp.Port} }}",
                CommandProbe probe => $"  command: {List(probe.Command)}",
                _ => throw new InvalidOperationException("unknown probe"),
            }).AppendLine();
            Scalar(yaml, "  interval", health.Interval.ToString());
            Scalar(yaml, "  timeout", health.Timeout.ToString());
            yaml.Append("  retries: ").AppendLine(Number(health.Retries));
        }

        yaml.AppendLine("placement:");
        Map(yaml, "labels", spec.Placement.Labels, "  ");
        if (spec.Placement.Hosts is { } hosts)
        {
            yaml.Append("  hosts: ").AppendLine(List(hosts.Select(h => h.Value)));
        }

        yaml.AppendLine("update:");
        yaml.Append("  maxUnavailable: ").AppendLine(Number(spec.Update.MaxUnavailable));
        yaml.Append("  maxSurge: ").AppendLine(Number(spec.Update.MaxSurge));
        yaml.Append("  autoRollback: ").AppendLine(spec.Update.AutoRollback ? "true" : "false");
        Scalar(yaml, "  minReady", spec.Update.MinReady.ToString());
        Scalar(yaml, "  progressDeadline", spec.Update.ProgressDeadline.ToString());
        return yaml.ToString();
    }

    /// <summary>Writes the spec as a JSON object.</summary>
    /// <param name="writer">Where to write.</param>
    /// <param name="spec">The spec.</param>
    public static void Write(Utf8JsonWriter writer, DeploymentSpec spec)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(spec);
        writer.WriteStartObject();
        writer.WriteString("name", spec.Name.Value);
        writer.WriteString("image", spec.Image.ToString());
        writer.WriteNumber("replicas", spec.Replicas);
        if (spec.Command is { } command)
        {
            WriteStrings(writer, "command", command);
        }

        WriteEnv(writer, spec.EnvValues);
        writer.WriteStartArray("ports");
        foreach (var port in spec.Ports)
        {
            writer.WriteStartObject();
            writer.WriteNumber("container", port.Container.Value);
            if (port.Host is { } host)
            {
                writer.WriteNumber("host", host.Value);
            }

            writer.WriteString("protocol", Protocol(port.Protocol));
            writer.WriteEndObject();
        }

        writer.WriteEndArray();
        writer.WriteStartObject("resources");
        if (spec.Resources.Cpu is { } cpu)
        {
            writer.WriteString("cpu", cpu.ToString());
        }

        if (spec.Resources.Memory is { } memory)
        {
            writer.WriteString("memory", memory.ToString());
        }

        if (spec.Resources.Pids is { } pids)
        {
            writer.WriteNumber("pids", pids);
        }

        writer.WriteEndObject();

        // Left out when they ask nothing, so that a spec that does not use them reads the same to an older agent.
        if (spec.User is { } user)
        {
            writer.WriteString("user", user.Value);
        }

        if (spec.ReadOnlyRootFilesystem)
        {
            writer.WriteBoolean("readOnlyRootFilesystem", true);
        }

        if (spec.Capabilities.Count > 0)
        {
            WriteStrings(writer, "capabilities", spec.Capabilities.Select(c => c.Name));
        }
        if (spec.HealthCheck is { } health)
        {
            writer.WriteStartObject("healthCheck");
            switch (health.Probe)
            {
                case HttpProbe http:
                    writer.WriteStartObject("http");
                    writer.WriteNumber("port", http.Port.Value);
                    writer.WriteString("path", http.Path);
                    writer.WriteEndObject();
                    break;
                case TcpProbe tcp:
                    writer.WriteStartObject("tcp");
                    writer.WriteNumber("port", tcp.Port.Value);
                    writer.WriteEndObject();
                    break;
                case CommandProbe probe:
                    WriteStrings(writer, "command", probe.Command);
                    break;
            }

            writer.WriteString("interval", health.Interval.ToString());
            writer.WriteString("timeout", health.Timeout.ToString());
            writer.WriteNumber("retries", health.Retries);
            writer.WriteEndObject();
        }

        writer.WriteStartObject("placement");
        WriteMap(writer, "labels", spec.Placement.Labels);
        if (spec.Placement.Hosts is { } hosts)
        {
            WriteStrings(writer, "hosts", hosts.Select(h => h.Value));
        }

        writer.WriteEndObject();
        writer.WriteStartObject("update");
        writer.WriteNumber("maxUnavailable", spec.Update.MaxUnavailable);
        writer.WriteNumber("maxSurge", spec.Update.MaxSurge);
        writer.WriteBoolean("autoRollback", spec.Update.AutoRollback);
        writer.WriteString("minReady", spec.Update.MinReady.ToString());
        writer.WriteString("progressDeadline", spec.Update.ProgressDeadline.ToString());
        writer.WriteEndObject();
        writer.WriteEndObject();
    }

    private static void WriteStrings(Utf8JsonWriter writer, string name, IEnumerable<string> items)
    {
        writer.WriteStartArray(name);
        foreach (var item in items)
        {
            writer.WriteStringValue(item);
        }

        writer.WriteEndArray();
    }

    private static void WriteMap(Utf8JsonWriter writer, string name, ValueMap map)
    {
        writer.WriteStartObject(name);
        foreach (var (key, value) in map)
        {
            writer.WriteString(key, value);
        }

        writer.WriteEndObject();
    }

    /// <summary>Literal values as strings, secret references as <c>{"secret": NAME}</c>: the form the parser reads back.</summary>
    private static void WriteEnv(Utf8JsonWriter writer, EnvMap env)
    {
        writer.WriteStartObject("env");
        foreach (var (key, value) in env)
        {
            if (value.IsSecret)
            {
                writer.WriteStartObject(key);
                writer.WriteString("secret", value.Secret.Value);
                writer.WriteEndObject();
            }
            else
            {
                writer.WriteString(key, value.Literal);
            }
        }

        writer.WriteEndObject();
    }

    private static void Env(StringBuilder yaml, EnvMap env)
    {
        if (env.Count == 0)
        {
            yaml.AppendLine("env: {}");
            return;
        }

        yaml.AppendLine("env:");
        foreach (var (key, value) in env)
        {
            yaml.Append("  ").Append(Quote(key)).Append(": ").AppendLine(value.IsSecret ? $"{{ secret: {Quote(value.Secret.Value)} }}" : Quote(value.Literal));
        }
    }

    private static void Map(StringBuilder yaml, string name, ValueMap map, string indent)
    {
        if (map.Count == 0)
        {
            yaml.Append(indent).Append(name).AppendLine(": {}");
            return;
        }

        yaml.Append(indent).Append(name).AppendLine(":");
        foreach (var (key, value) in map)
        {
            yaml.Append(indent).Append("  ").Append(Quote(key)).Append(": ").AppendLine(Quote(value));
        }
    }

    private static void Scalar(StringBuilder yaml, string name, string? value)
    {
        if (value is not null)
        {
            yaml.Append(name).Append(": ").AppendLine(Quote(value));
        }
    }

    private static string List(IEnumerable<string> items) => "[" + string.Join(", ", items.Select(Quote)) + "]";

    private static string Number(int value) => value.ToString(System.Globalization.CultureInfo.InvariantCulture);

    private static string Protocol(Protocol protocol) => protocol == Spec.Protocol.Tcp ? "tcp" : "udp";

    /// <summary>A YAML double-quoted scalar; JSON's escapes are a subset of YAML's, so JSON string encoding serves.</summary>
    private static string Quote(string value)
    {
        var text = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(text, QuoteOptions))
        {
            writer.WriteStringValue(value);
        }

        return Encoding.UTF8.GetString(text.WrittenSpan);
    }

    private static readonly JsonWriterOptions QuoteOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
}
