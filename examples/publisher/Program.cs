using MassTransit;
using Workers.Contracts.Messages;
using Workers.Contracts.Spec;

// Publishes a DeploymentRequested for a spec file to the RabbitMQ in WORKERS_BROKER and prints the deployment id:
//   WORKERS_BROKER=rabbitmq://user:password@host:5672/ dotnet run --project examples/publisher -- examples/hello.yaml
if (args is not [var file])
{
    await Console.Error.WriteLineAsync("usage: publisher SPEC-FILE (with WORKERS_BROKER=rabbitmq://user:password@host:5672/)");
    return 2;
}

var text = await File.ReadAllTextAsync(file);
var parsed = SpecParser.Parse(text, file);
if (!parsed.IsValid)
{
    parsed.Problems.ToList().ForEach(p => Console.Error.WriteLine(p));
    return 1;
}

var broker = new Uri(Environment.GetEnvironmentVariable("WORKERS_BROKER") ?? "rabbitmq://guest:guest@localhost:5672/");
var bus = Bus.Factory.CreateUsingRabbitMq(cfg => cfg.Host(broker.Host, (ushort)(broker.IsDefaultPort || broker.Port <= 0 ? 5672 : broker.Port), VirtualHost(broker), host =>
{
    var credentials = broker.UserInfo.Split(':', 2);
    host.Username(Uri.UnescapeDataString(credentials[0]));
    host.Password(credentials.Length > 1 ? Uri.UnescapeDataString(credentials[1]) : string.Empty);
    host.PublisherConfirmation = true;
}));
await bus.StartAsync();
try
{
    // The deployment id is ours to choose: publishing the same id again is the same deployment, not a second one.
    var deploymentId = Guid.NewGuid();
    await bus.Publish(new DeploymentRequested(Guid.NewGuid(), deploymentId, DateTimeOffset.UtcNow, text, Path.GetFileName(file), "examples/publisher"));
    Console.WriteLine($"requested {parsed.Spec.Name} {deploymentId}");
    return 0;
}
finally
{
    await bus.StopAsync();
}

static string VirtualHost(Uri broker) => broker.AbsolutePath.Trim('/') is { Length: > 0 } path ? Uri.UnescapeDataString(path) : "/";
