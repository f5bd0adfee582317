using MassTransit;
using Microsoft.AspNetCore.Builder;
using Workers.Functions;
using Workers.Functions.Bus;
using Workers.Functions.Store;
using Workers.Intake;
using Workers.Transport;
using Workers.Transport.ServiceBus;

// Hosts every function against the broker in WORKERS_BROKER (RabbitMQ, Azure Service Bus, or in memory), with the
// store in WORKERS_STORE, the HTTP intake on WORKERS_HTTP_URLS when that is set (with /metrics), and OpenTelemetry's
// OTLP export when OTEL_EXPORTER_OTLP_ENDPOINT is (docs/observability.md).
const string Name = "workers functions";
var builder = WebApplication.CreateBuilder(args);
var brokerSetting = builder.Configuration["WORKERS_BROKER"];
builder.Services.AddWorkersHandlers(_ => StoreSettings.Dialect(builder.Configuration["WORKERS_STORE"], StoreSettings.FunctionsHostSqlitePath()));
if (ServiceBusSettings.IsServiceBus(brokerSetting))
{
    if (!ServiceBusSettings.TryRead(key => builder.Configuration[key], out var serviceBus, out var problems))
    {
        await Console.Error.WriteLineAsync(SettingProblems.Message(Name, problems));
        return 2;
    }

    builder.Services.AddWorkersServiceBusFunctionsHost(serviceBus);
}
else
{
    if (!Broker.TryParse(brokerSetting, out var broker, out var brokerError))
    {
        // One line, no stack trace, no password; the functions' own options are validated when the host starts.
        await Console.Error.WriteLineAsync(SettingProblems.Message(Name, [$"WORKERS_BROKER: {brokerError}"]));
        return 2;
    }

    builder.Services.AddWorkersBus(broker, bus => bus.AddWorkersFunctionConsumers(), (context, cfg) => cfg.ConfigureEndpoints(context)).WaitForTheBroker().ReconnectWhenPublishesAreRefused();
    builder.ReportTheBrokerConnection(broker);
    builder.Services.AddWorkersSweep();
}

// One structured line per event the store records, whatever the transport.
builder.Services.AddWorkersEventLog();
builder.AddWorkersHttpIntake();
builder.AddWorkersFunctionsTelemetry();
var app = builder.Build();
app.MapWorkersIntake();
app.MapWorkersMetrics();
try
{
    await app.Services.CheckSecretsKeyAsync(CancellationToken.None);
    await app.RunAsync();
    return 0;
}
catch (SecretsKeyException e)
{
    // Secrets are stored and their key is missing or another one: one line, no stack trace.
    await Console.Error.WriteLineAsync($"{Name}: {e.Message}");
    return 2;
}
catch (System.Data.Common.DbException e) when (!StoreStartup.IsUnreachable(e))
{
    // The store answered and refused (a login, a permission, a schema): one line, no stack trace. One that does not
    // answer is waited for (StoreStartup).
    await Console.Error.WriteLineAsync($"{Name}: the store refused: {e.Message.ReplaceLineEndings(" ")}");
    return 3;
}

