using MassTransit;
using Workers.Contracts.Messages;

// Subscribes to the deployment events on the RabbitMQ in WORKERS_BROKER and prints one line per event until stopped:
//   WORKERS_BROKER=rabbitmq://user:password@host:5672/ dotnet run --project examples/subscriber
var broker = new Uri(Environment.GetEnvironmentVariable("WORKERS_BROKER") ?? "rabbitmq://guest:guest@localhost:5672/");
var queue = Environment.GetEnvironmentVariable("SUBSCRIBER_QUEUE") ?? "examples.subscriber";
var bus = Bus.Factory.CreateUsingRabbitMq(cfg =>
{
    cfg.Host(broker.Host, (ushort)(broker.IsDefaultPort || broker.Port <= 0 ? 5672 : broker.Port), VirtualHost(broker), host =>
    {
        var credentials = broker.UserInfo.Split(':', 2);
        host.Username(Uri.UnescapeDataString(credentials[0]));
        host.Password(credentials.Length > 1 ? Uri.UnescapeDataString(credentials[1]) : string.Empty);
    });

    // Its own queue, bound to the three event types: every subscriber sees every event.
    cfg.ReceiveEndpoint(queue, endpoint =>
    {
        endpoint.Handler<DeploymentSucceeded>(context => Print($"succeeded {context.Message.Name} {context.Message.CorrelationId}"));
        endpoint.Handler<DeploymentFailed>(context => Print($"failed {context.Message.Name} {context.Message.CorrelationId}: {context.Message.Reason}"));
        endpoint.Handler<DeploymentDeleted>(context => Print($"deleted {context.Message.Name} {context.Message.CorrelationId}"));
    });
});

using var stop = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    stop.Cancel();
};
AppDomain.CurrentDomain.ProcessExit += (_, _) => stop.Cancel();

await bus.StartAsync();
await Print("listening");
try
{
    await Task.Delay(Timeout.Infinite, stop.Token);
}
catch (OperationCanceledException)
{
}

await bus.StopAsync();
return 0;

static Task Print(string line)
{
    Console.WriteLine(line);
    return Task.CompletedTask;
}

static string VirtualHost(Uri broker) => broker.AbsolutePath.Trim('/') is { Length: > 0 } path ? Uri.UnescapeDataString(path) : "/";
