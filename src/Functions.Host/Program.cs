using MassTransit;
using Microsoft.AspNetCore.Builder;
using Workers.Functions;
using Workers.Functions.Bus;
using Workers.Functions.Store;
using Workers.Intake;
using Workers.Transport;

// Hosts every function against the broker in WORKERS_BROKER, with the store in WORKERS_STORE, and the HTTP intake on
// WORKERS_HTTP_URLS when that is set.
var builder = WebApplication.CreateBuilder(args);
if (!Broker.TryParse(builder.Configuration["WORKERS_BROKER"], out var broker, out var brokerError))
{
    // One line, no stack trace, no password; the functions' own options are validated when the host starts.
    await Console.Error.WriteLineAsync(SettingProblems.Message("workers functions", [$"WORKERS_BROKER: {brokerError}"]));
    return 2;
}

builder.Services.AddWorkersHandlers(_ => StoreSettings.Dialect(builder.Configuration["WORKERS_STORE"], StoreSettings.FunctionsHostSqlitePath()));
builder.Services.AddWorkersBus(broker, bus => bus.AddWorkersFunctionConsumers(), (context, cfg) => cfg.ConfigureEndpoints(context)).WaitForTheBroker();
builder.Services.AddWorkersSweep();
builder.AddWorkersHttpIntake();
var app = builder.Build();
app.MapWorkersIntake();
try
{
    await app.Services.CheckSecretsKeyAsync(CancellationToken.None);
    await app.RunAsync();
    return 0;
}
catch (SecretsKeyException e)
{
    // Secrets are stored and their key is missing or another one: one line, no stack trace.
    await Console.Error.WriteLineAsync($"workers functions: {e.Message}");
    return 2;
}
