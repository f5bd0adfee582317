using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;
using Workers.Functions;
using Workers.Intake.Http;
using Workers.Telemetry;

namespace Workers.Intake;

/// <summary>
/// OpenTelemetry for the functions host (docs/observability.md): traces and metrics by OTLP when the standard
/// variables ask for it, and <c>/metrics</c> in the Prometheus text format on the HTTP listener whenever
/// <c>WORKERS_HTTP_URLS</c> is set, behind the same bearer tokens as <c>/api</c>.
/// </summary>
public static class IntakeTelemetry
{
    /// <summary>Where Prometheus scrapes the functions host.</summary>
    public const string MetricsPath = "/metrics";

    public static WebApplicationBuilder AddWorkersFunctionsTelemetry(this WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var configuration = builder.Configuration;
        var listening = !string.IsNullOrWhiteSpace(configuration["WORKERS_HTTP_URLS"]);
        builder.Services.AddWorkersTelemetry(configuration, "workers-functions", t => t.AddAspNetCoreInstrumentation(), listening ? m => m.AddPrometheusExporter() : null);
        if (listening || TelemetryRegistration.MetricsConfigured(k => configuration[k]))
        {
            builder.Services.AddHostedService<StoreGauges>();
        }

        return builder;
    }

    /// <summary><c>/metrics</c>, when <see cref="AddWorkersFunctionsTelemetry"/> turned the scrape endpoint on.</summary>
    public static IEndpointRouteBuilder MapWorkersMetrics(this IEndpointRouteBuilder endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        if (endpoints.ServiceProvider.GetService<MeterProvider>() is null)
        {
            return endpoints;
        }

        // A token, as for /api: the counts say what runs where. Prometheus sends one with `authorization: credentials`.
        endpoints.MapPrometheusScrapingEndpoint(MetricsPath, meterProvider: null, configureBranchedPipeline: app => app.Use(async (context, next) =>
        {
            if (context.RequestServices.GetRequiredService<DeploymentIntake>().Authorize(context.Request.Headers.Authorization) is { } refused)
            {
                await new IntakeHttpResult(refused).ExecuteAsync(context);
                return;
            }

            await next(context);
        }), optionsName: null);
        return endpoints;
    }
}
