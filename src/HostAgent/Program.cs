using Workers.HostAgent.Agent;
using Workers.HostAgent.Amqp;
using Workers.HostAgent.ServiceBus;
using Workers.Transport;
using Workers.Transport.ServiceBus;

// One agent per host: consumes host.<WORKERS_HOST_ID> (a RabbitMQ queue, through RabbitMQ.Client in MassTransit's
// envelope and topology, or a Service Bus subscription when WORKERS_BROKER is servicebus://…), runs containers on the
// Docker engine, publishes results and heartbeats. No MassTransit: the agent can be compiled ahead of time.
var builder = Microsoft.Extensions.Hosting.Host.CreateApplicationBuilder(args);
AgentOptions options;
if (ServiceBusSettings.IsServiceBus(builder.Configuration["WORKERS_BROKER"]))
{
    if (!AgentServiceBusSettings.TryRead(key => builder.Configuration[key], out var serviceBus, out var problems))
    {
        await Console.Error.WriteLineAsync(SettingProblems.Message(AgentSettings.Program, problems));
        return 2;
    }

    options = serviceBus.Agent;
    builder.Services.AddWorkersAgentServiceBus(serviceBus.ServiceBus, options);
}
else
{
    if (!AgentSettings.TryRead(key => builder.Configuration[key], out var settings, out var problems))
    {
        await Console.Error.WriteLineAsync(SettingProblems.Message(AgentSettings.Program, problems));
        return 2;
    }

    options = settings.Agent;
    builder.Services.AddWorkersAgentAmqp(settings.Broker, options);
}

if (!AgentTelemetry.TryReadMetricsUrl(builder.Configuration[AgentTelemetry.MetricsUrlSetting], out var metricsUrl, out var metricsError))
{
    await Console.Error.WriteLineAsync(SettingProblems.Message(AgentSettings.Program, [metricsError!]));
    return 2;
}

builder.Services.AddWorkersAgent(options);
builder.Services.AddWorkersAgentTelemetry(builder.Configuration, metricsUrl);
await builder.Build().RunAsync();
return 0;
