using MassTransit;
using Microsoft.Extensions.Hosting;
using Workers.Functions.Bus;
using Workers.Functions.Store;
using Workers.Transport;

// Hosts every function against the broker in WORKERS_BROKER, with the store in WORKERS_STORE.
var builder = Host.CreateApplicationBuilder(args);
var broker = Broker.Parse(builder.Configuration["WORKERS_BROKER"]);
builder.Services.AddWorkersHandlers(_ => StoreSettings.Dialect(builder.Configuration["WORKERS_STORE"], StoreSettings.DefaultSqlitePath()));
builder.Services.AddWorkersBus(broker, bus => bus.AddWorkersFunctionConsumers(), (context, cfg) => cfg.ConfigureEndpoints(context));
builder.Services.AddWorkersSweep();
await builder.Build().RunAsync();
