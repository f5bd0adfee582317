using OpenTelemetry.Metrics;
using Workers.Telemetry;

namespace Workers.HostAgent.Agent;

/// <summary>
/// OpenTelemetry for an agent (docs/observability.md): traces and metrics by OTLP when the standard variables ask for
/// it, and <c>/metrics</c> in the Prometheus text format at <c>WORKERS_METRICS_URL</c> (one listener, such as
/// <c>http://10.0.0.5:9464</c>), a listener of its own with no token: bind it where only Prometheus reaches.
/// </summary>
public static class AgentTelemetry
{
    public const string MetricsUrlSetting = "WORKERS_METRICS_URL";

    /// <summary>The listener's address (null when unset), or why the setting is not one http URL with a host and a port.</summary>
    public static bool TryReadMetricsUrl(string? setting, out Uri? url, out string? error)
    {
        (url, error) = (null, null);
        if (string.IsNullOrWhiteSpace(setting))
        {
            return true;
        }

        if (!Uri.TryCreate(setting.Trim(), UriKind.Absolute, out var uri) || uri.Scheme != Uri.UriSchemeHttp || uri.AbsolutePath != "/" || uri.Query.Length > 0 || uri.UserInfo.Length > 0 || !HasPort(setting))
        {
            error = $"{MetricsUrlSetting}: '{setting}' is not one http URL with a host, a port and nothing after them, such as http://127.0.0.1:9464";
            return false;
        }

        url = uri;
        return true;
    }

    public static IServiceCollection AddWorkersAgentTelemetry(this IServiceCollection services, IConfiguration configuration, Uri? metricsUrl) =>
        services.AddWorkersTelemetry(
            configuration,
            "workers-agent",
            scrape: metricsUrl is null ? null : (Action<MeterProviderBuilder>)(m => m.AddPrometheusHttpListener(o => (o.Host, o.Port) = (metricsUrl.Host, metricsUrl.Port))));

    /// <summary>An explicit port: the listener has no default worth guessing.</summary>
    private static bool HasPort(string setting) => System.Text.RegularExpressions.Regex.IsMatch(setting.Trim(), @"^http://[^/]+:\d+/?$");
}
