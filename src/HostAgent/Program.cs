using Workers.HostAgent.Agent;
using Workers.Transport;

// One agent per host: consumes host.<WORKERS_HOST_ID>, runs containers on the Docker engine, publishes results and heartbeats.
var builder = Microsoft.Extensions.Hosting.Host.CreateApplicationBuilder(args);
if (!AgentOptions.TryRead(key => builder.Configuration[key], out var agent, out var errors))
{
    foreach (var error in errors)
    {
        await Console.Error.WriteLineAsync($"workers-agent: {error}");
    }

    return 2;
}

var broker = Broker.Parse(builder.Configuration["WORKERS_BROKER"]);
AgentOptions options = agent;
builder.Services.AddWorkersBus(broker, bus => bus.AddWorkersAgentConsumers(), (context, cfg) => cfg.ConfigureAgentEndpoint(context, options)).WaitForTheBroker();
builder.Services.AddWorkersAgent(options);
await builder.Build().RunAsync();
return 0;
