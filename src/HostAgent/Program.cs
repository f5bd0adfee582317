using Workers.HostAgent.Agent;
using Workers.Transport;

// One agent per host: consumes host.<WORKERS_HOST_ID>, runs containers on the Docker engine, publishes results and heartbeats.
var builder = Microsoft.Extensions.Hosting.Host.CreateApplicationBuilder(args);
if (!AgentSettings.TryRead(key => builder.Configuration[key], out var settings, out var problems))
{
    await Console.Error.WriteLineAsync(SettingProblems.Message(AgentSettings.Program, problems));
    return 2;
}

if (!AgentTelemetry.TryReadMetricsUrl(builder.Configuration[AgentTelemetry.MetricsUrlSetting], out var metricsUrl, out var metricsError))
{
    await Console.Error.WriteLineAsync(SettingProblems.Message(AgentSettings.Program, [metricsError!]));
    return 2;
}

AgentOptions options = settings.Agent;
builder.Services.AddWorkersBus(settings.Broker, bus => bus.AddWorkersAgentConsumers(), (context, cfg) => cfg.ConfigureAgentEndpoint(context, options)).WaitForTheBroker();
builder.Services.AddWorkersAgent(options);
builder.Services.AddWorkersAgentTelemetry(builder.Configuration, metricsUrl);
await builder.Build().RunAsync();
return 0;
