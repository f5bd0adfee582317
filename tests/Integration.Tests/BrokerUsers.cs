using System.Security.Cryptography;
using Testcontainers.RabbitMq;
using Workers.Transport;

namespace Workers.Integration.Tests;

/// <summary>Adds users to a test broker with <c>infra/rabbitmq/users.sh</c>, the script the docs give operators.</summary>
internal sealed class BrokerUsers(RabbitMqContainer rabbit, Uri amqp)
{
    /// <summary>The script, copied beside the tests (mapped into the container at <c>/etc/workers/users.sh</c>).</summary>
    public static string Script => Path.Combine(AppContext.BaseDirectory, "infra", "rabbitmq", "users.sh");

    /// <summary>Adds <paramref name="name"/> in <paramref name="role"/> (agent, client, functions) on the default vhost; returns the broker as that user.</summary>
    public async Task<Broker> AddAsync(string role, string name)
    {
        var password = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        var result = await rabbit.ExecAsync(["env", "VHOST=/", "sh", "/etc/workers/users.sh", role, name, password]);
        if (result.ExitCode != 0)
        {
            throw new InvalidOperationException($"users.sh {role} {name} failed ({result.ExitCode}): {result.Stderr}{result.Stdout}");
        }

        return Broker.Parse($"rabbitmq://{Uri.EscapeDataString(name)}:{password}@{amqp.Host}:{amqp.Port}/");
    }
}
