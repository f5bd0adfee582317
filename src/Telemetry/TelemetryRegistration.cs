using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Workers.Telemetry;

/// <summary>
/// OpenTelemetry for a Workers executable. Traces go out by OTLP when <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> (or
/// <c>OTEL_EXPORTER_OTLP_TRACES_ENDPOINT</c>) is set, metrics when <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> (or
/// <c>OTEL_EXPORTER_OTLP_METRICS_ENDPOINT</c>) is set or the host serves a scrape endpoint; the exporter reads the other
/// standard variables itself (<c>OTEL_EXPORTER_OTLP_PROTOCOL</c>, <c>_HEADERS</c>, <c>OTEL_RESOURCE_ATTRIBUTES</c>…).
/// With none of them, nothing is registered: no listener, so no span is made and no measurement taken.
/// </summary>
public static class TelemetryRegistration
{
    public static bool TracesConfigured(Func<string, string?> setting)
    {
        ArgumentNullException.ThrowIfNull(setting);
        return Set(setting, "OTEL_EXPORTER_OTLP_ENDPOINT") || Set(setting, "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT");
    }

    public static bool MetricsConfigured(Func<string, string?> setting)
    {
        ArgumentNullException.ThrowIfNull(setting);
        return Set(setting, "OTEL_EXPORTER_OTLP_ENDPOINT") || Set(setting, "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT");
    }

    /// <summary>
    /// Registers OpenTelemetry as the settings ask. <paramref name="tracing"/> adds the host's own instrumentation
    /// (ASP.NET Core on the functions host); <paramref name="scrape"/>, when given, adds the host's scrape endpoint and
    /// turns metrics on without OTLP.
    /// </summary>
    public static IServiceCollection AddWorkersTelemetry(this IServiceCollection services, IConfiguration configuration, string serviceName, Action<TracerProviderBuilder>? tracing = null, Action<MeterProviderBuilder>? scrape = null)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var traces = TracesConfigured(k => configuration[k]);
        var metrics = MetricsConfigured(k => configuration[k]);
        if (!traces && !metrics && scrape is null)
        {
            return services;
        }

        var builder = services.AddOpenTelemetry().ConfigureResource(r => r.AddService(serviceName));
        if (traces)
        {
            builder.WithTracing(t =>
            {
                t.AddSource(WorkersTelemetry.Name, WorkersTelemetry.MassTransit);
                tracing?.Invoke(t);
                t.AddOtlpExporter();
            });
        }

        if (metrics || scrape is not null)
        {
            builder.WithMetrics(m =>
            {
                m.AddMeter(WorkersTelemetry.Name, WorkersTelemetry.MassTransit);
                scrape?.Invoke(m);
                if (metrics)
                {
                    m.AddOtlpExporter();
                }
            });
        }

        return services;
    }

    private static bool Set(Func<string, string?> setting, string name) => !string.IsNullOrWhiteSpace(setting(name));
}
