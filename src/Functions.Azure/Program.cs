using Microsoft.Azure.Functions.Worker.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Workers.Functions;
using Workers.Functions.Azure;
using Workers.Functions.Store;
using Workers.Intake;
using Workers.Security;

// The Azure Functions app: the same handlers, store and intake as the self-hosted functions host, with the HTTP
// functions on the ASP.NET Core integration, on the transport WORKERS_BROKER names (Service Bus or RabbitMQ).
var builder = FunctionsApplication.CreateBuilder(args);
builder.ConfigureFunctionsWebApplication();
// Every instance must sign commands and open sealed secrets with the same keys, and an instance's file system is its
// own: on Azure both keys are settings holding the PEM text, never files made on first use.
builder.Services.AddSingleton(_ => ControlPlaneKey.Load(Pem("WORKERS_SIGNING_KEY", "the control plane's signing key")));
builder.Services.AddKeyedSingleton(Workers.Functions.Handlers.SecretsHandler.SealingKeyService, (_, _) => ControlPlaneSealingKey.Load(Pem("WORKERS_SEALING_KEY", "the functions' sealing key")));
builder.Services.AddWorkersHandlers(_ => StoreSettings.Dialect(builder.Configuration["WORKERS_STORE"], StoreSettings.DefaultSqlitePath()));
builder.Services.AddWorkersIntake();
builder.Services.AddWorkersAzureTransport(builder.Configuration);
await builder.Build().RunAsync();

string Pem(string setting, string what) => builder.Configuration[setting] is { } text && text.Contains("-----BEGIN", StringComparison.Ordinal)
    ? text
    : throw new InvalidOperationException($"{setting} does not hold {what} as PEM text: on Azure it is an app setting (or a resolved Key Vault reference), the same for every instance");
