using System.Diagnostics;
using System.Runtime.CompilerServices;
using OpenTelemetry;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;
using Workers.Telemetry;

namespace Workers.Cli;

/// <summary>
/// The root span of a command's trace (<c>workers deploy</c>, …), exported by OTLP when
/// <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> or <c>OTEL_EXPORTER_OTLP_TRACES_ENDPOINT</c> is set; otherwise nothing is set up.
/// What the command publishes carries the span's context, so the functions and agents continue its trace.
/// </summary>
internal sealed class CliTracing : IDisposable
{
    // Typed as what it is disposed as: a command without an exporter never loads OpenTelemetry's assemblies.
    private readonly IDisposable? _provider;

    private CliTracing(IDisposable? provider, Activity? root) => (_provider, Root) = (provider, root);

    public Activity? Root { get; }

    public static CliTracing Start(string command)
    {
        return TelemetryRegistration.TracesConfigured(Environment.GetEnvironmentVariable)
            ? new(ExportingProvider(), StartRoot(command))
            : new(null, null);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static TracerProvider ExportingProvider() =>
        Sdk.CreateTracerProviderBuilder()
            .ConfigureResource(r => r.AddService("workers-cli"))
            .AddSource(WorkersTelemetry.Name, WorkersTelemetry.MassTransit)
            .AddOtlpExporter()
            .Build();

    /// <summary>The root span alone, for whatever listens to Workers' ActivitySource (the tests' exporter).</summary>
    public static Activity? StartRoot(string command) => WorkersTelemetry.Source.StartActivity($"workers {command}", ActivityKind.Client);

    /// <summary>Ends the root span with the command's exit code.</summary>
    public void End(int exitCode)
    {
        Root?.SetTag("process.exit.code", exitCode);
        if (exitCode != 0)
        {
            Root?.SetStatus(ActivityStatusCode.Error, $"exit code {exitCode}");
        }
    }

    /// <summary>Ends the span and sends what is left to send before the process exits.</summary>
    public void Dispose()
    {
        Root?.Dispose();
        _provider?.Dispose();
    }
}
