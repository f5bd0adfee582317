using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using RabbitMQ.Client;
using Workers.Bench.LeanFloor;
using Workers.DockerEngine;
using Workers.Security;

// WORKERS_BENCH_AMQP: amqp://user:password@host:port/ of a RabbitMQ to connect to. Prints one line when the first
// heartbeat is confirmed, then beats every 5 s until stopped.
var amqp = Environment.GetEnvironmentVariable("WORKERS_BENCH_AMQP") is { Length: > 0 } given ? new Uri(given) : new Uri("amqp://guest:guest@127.0.0.1:5672/");
var connection = await new ConnectionFactory { Uri = amqp, ClientProvidedName = "workers-lean-floor" }.CreateConnectionAsync();
var builder = Host.CreateApplicationBuilder(args);
builder.Services.AddSingleton(connection);
builder.Services.AddSingleton(_ => AgentKeys.Generate());
builder.Services.AddSingleton(_ => new DockerEngineClient(new Uri(Environment.GetEnvironmentVariable("DOCKER_HOST") ?? "unix:///var/run/docker.sock"), new Version(1, 41)));
builder.Services.AddHostedService<FloorAgent>();
await builder.Build().RunAsync();
await connection.DisposeAsync();
