using Microsoft.Azure.Functions.Worker.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Workers.Functions.Azure;
using Workers.Functions.Bus;
using Workers.Functions.Store;
using Workers.Intake;
using Workers.Security;

// The Azure Functions app: the same handlers, store and intake as the self-hosted functions host, with the HTTP
// functions on the ASP.NET Core integration, on the transport WORKERS_BROKER names (Service Bus or RabbitMQ).
var builder = FunctionsApplication.CreateBuilder(args);
builder.ConfigureFunctionsWebApplication();
// Every instance must sign commands with the same key, and an instance's file system is its own: the key is a setting.
builder.Services.AddSingleton(_ => ControlPlaneKey.Load(builder.Configuration["WORKERS_SIGNING_KEY"] is { Length: > 0 } key
    ? key
    : throw new InvalidOperationException("WORKERS_SIGNING_KEY is not set: on Azure the control plane's signing key is an app setting (PEM text or a Key Vault reference), the same for every instance")));
builder.Services.AddWorkersHandlers(_ => StoreSettings.Dialect(builder.Configuration["WORKERS_STORE"], StoreSettings.DefaultSqlitePath()));
builder.Services.AddWorkersIntake();
builder.Services.AddWorkersAzureTransport(builder.Configuration);
await builder.Build().RunAsync();
