using System.Diagnostics.CodeAnalysis;
using System.Text.Json;
using System.Text.Json.Serialization;
using Workers.Contracts.Spec;

namespace Workers.HostAgent.Agent;

/// <summary>
/// A replica's health check as its container's <see cref="ContainerLabels.Health"/> label holds it, so that an agent
/// that restarts goes on checking the containers it finds: <c>{"kind":"http","port":8080,"path":"/healthz",
/// "intervalMs":10000,"timeoutMs":2000,"retries":3}</c>; <c>"tcp"</c> has a port, <c>"command"</c> a command.
/// Ports are container ports; the probe finds the host port published for it.
/// </summary>
public sealed record HealthCheckLabel(string Kind, int? Port, string? Path, IReadOnlyList<string>? Command, long IntervalMs, long TimeoutMs, int Retries)
{
    public const string HttpKind = "http";
    public const string TcpKind = "tcp";
    public const string CommandKind = "command";

    [JsonIgnore]
    public TimeSpan Interval => TimeSpan.FromMilliseconds(IntervalMs);

    [JsonIgnore]
    public TimeSpan Timeout => TimeSpan.FromMilliseconds(TimeoutMs);

    /// <summary>The label for a spec's check.</summary>
    public static HealthCheckLabel From(HealthCheck check)
    {
        ArgumentNullException.ThrowIfNull(check);
        var (interval, timeout) = ((long)check.Interval.Value.TotalMilliseconds, (long)check.Timeout.Value.TotalMilliseconds);
        return check.Probe switch
        {
            HttpProbe http => new(HttpKind, http.Port.Value, http.Path, null, interval, timeout, check.Retries),
            TcpProbe tcp => new(TcpKind, tcp.Port.Value, null, null, interval, timeout, check.Retries),
            CommandProbe command => new(CommandKind, null, null, [.. command.Command], interval, timeout, check.Retries),
            _ => throw new ArgumentException($"unknown probe {check.Probe}", nameof(check)),
        };
    }

    /// <summary>Reads a label this agent wrote; false when it is not one.</summary>
    public static bool TryParse(string text, [NotNullWhen(true)] out HealthCheckLabel? check)
    {
        try
        {
            check = JsonSerializer.Deserialize(text, HealthCheckLabelJson.Default.HealthCheckLabel);
        }
        catch (JsonException)
        {
            check = null;
        }

        check = check is { IntervalMs: > 0, TimeoutMs: > 0, Retries: > 0 }
            && check.Kind switch
            {
                HttpKind => check.Port is >= 1 and <= 65535 && check.Path is not null,
                TcpKind => check.Port is >= 1 and <= 65535,
                CommandKind => check.Command is { Count: > 0 },
                _ => false,
            }
                ? check
                : null;
        return check is not null;
    }

    public string ToJson() => JsonSerializer.Serialize(this, HealthCheckLabelJson.Default.HealthCheckLabel);
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(HealthCheckLabel))]
internal sealed partial class HealthCheckLabelJson : JsonSerializerContext;
