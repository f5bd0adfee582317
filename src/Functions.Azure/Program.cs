using Microsoft.Azure.Functions.Worker.Builder;
using Microsoft.Extensions.Hosting;
using Workers.Functions.Azure;
using Workers.Functions.Bus;
using Workers.Functions.Store;
using Workers.Intake;

// The Azure Functions app: the same handlers, store and intake as the self-hosted functions host, with the HTTP
// functions on the ASP.NET Core integration, on the transport WORKERS_BROKER names (Service Bus or RabbitMQ).
var builder = FunctionsApplication.CreateBuilder(args);
builder.ConfigureFunctionsWebApplication();
builder.Services.AddWorkersHandlers(_ => StoreSettings.Dialect(builder.Configuration["WORKERS_STORE"], StoreSettings.DefaultSqlitePath()));
builder.Services.AddWorkersIntake();
builder.Services.AddWorkersAzureTransport(builder.Configuration);
await builder.Build().RunAsync();
