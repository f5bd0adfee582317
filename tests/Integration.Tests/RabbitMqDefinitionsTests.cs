using System.Text;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;
using RabbitMQ.Client.Exceptions;
using Testcontainers.RabbitMq;

namespace Workers.Integration.Tests;

/// <summary>
/// A RabbitMQ of its own with infra/rabbitmq/definitions.json imported by <c>rabbitmqctl import_definitions</c>
/// (the image has no management plugin), and a random password set for each of its users, which the file leaves
/// without one.
/// </summary>
public sealed class RabbitMqDefinitionsFixture : IAsyncLifetime
{
    public const string VirtualHost = "workers";
    private RabbitMqContainer? _rabbit;

    public Dictionary<string, string> Passwords { get; } = new()
    {
        ["workers-functions"] = Guid.NewGuid().ToString("N"),
        ["host-a"] = Guid.NewGuid().ToString("N"),
        ["host-b"] = Guid.NewGuid().ToString("N"),
    };

    public RabbitMqContainer Rabbit => _rabbit ?? throw new InvalidOperationException("not started");

    public async Task InitializeAsync()
    {
        var definitions = Path.Combine(AppContext.BaseDirectory, "infra", "rabbitmq", "definitions.json");
        _rabbit = new RabbitMqBuilder(TestImages.RabbitMq)
            .WithResourceMapping(new FileInfo(definitions), "/etc/workers/")
            .Build();
        await TestBroker.StartAsync(_rabbit);

        await CtlAsync("import_definitions", "/etc/workers/definitions.json");
        foreach (var (user, password) in Passwords)
        {
            await CtlAsync("change_password", user, password);
        }
    }

    public async Task<string> CtlAsync(params string[] arguments)
    {
        var result = await Rabbit.ExecAsync(["rabbitmqctl", .. arguments]);
        return result.ExitCode == 0
            ? result.Stdout
            : throw new InvalidOperationException($"rabbitmqctl {arguments[0]} failed ({result.ExitCode}): {result.Stderr}{result.Stdout}");
    }

    public Task<IConnection> ConnectAsync(string user)
    {
        var uri = new Uri(Rabbit.GetConnectionString());
        var factory = new ConnectionFactory { HostName = uri.Host, Port = uri.Port, VirtualHost = VirtualHost, UserName = user, Password = Passwords[user] };
        return factory.CreateConnectionAsync();
    }

    public async Task DisposeAsync()
    {
        if (_rabbit is not null)
        {
            await _rabbit.DisposeAsync();
        }
    }
}

/// <summary>The definitions give each user what it needs and no more, proven against the real broker.</summary>
public sealed class RabbitMqDefinitionsTests(RabbitMqDefinitionsFixture broker) : IClassFixture<RabbitMqDefinitionsFixture>
{
    private const int AccessRefused = 403;

    [Fact]
    public async Task Definitions_WorkersAndHostQueues_AreQuorumQueues()
    {
        var listing = await broker.CtlAsync("list_queues", "-p", RabbitMqDefinitionsFixture.VirtualHost, "--quiet", "--no-table-headers", "name", "type");
        var types = listing.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split('\t', StringSplitOptions.TrimEntries)).ToDictionary(p => p[0], p => p[1]);

        string[] expected = ["workers.validate", "workers.plan", "workers.track", "workers.inventory", "workers.delete", "workers.query", "host.host-a", "host.host-b"];
        Assert.Equal(expected.Order(), types.Keys.Order());
        Assert.All(types.Values, t => Assert.Equal("quorum", t));
    }

    [Fact]
    public async Task HostUser_ConsumesItsOwnQueue_Succeeds()
    {
        await using var connection = await broker.ConnectAsync("host-a");
        await using var channel = await connection.CreateChannelAsync();

        var tag = await channel.BasicConsumeAsync("host.host-a", autoAck: false, new AsyncEventingBasicConsumer(channel));

        Assert.False(string.IsNullOrEmpty(tag));
        await channel.BasicCancelAsync(tag);
    }

    [Fact]
    public async Task HostUser_ConsumesAnotherHostsQueue_IsRefused()
    {
        await using var connection = await broker.ConnectAsync("host-a");
        await using var channel = await connection.CreateChannelAsync();

        await AssertRefusedAsync(() => channel.BasicConsumeAsync("host.host-b", autoAck: false, new AsyncEventingBasicConsumer(channel)));
    }

    [Fact]
    public async Task HostUser_PublishesToAnotherHostsExchange_IsRefused()
    {
        await using var connection = await broker.ConnectAsync("host-a");
        await using var channel = await connection.CreateChannelAsync(Confirmed);

        await AssertRefusedAsync(() => channel.BasicPublishAsync("host.host-b", string.Empty, Body("forged")).AsTask());
    }

    [Fact]
    public async Task FunctionsUser_PublishesToAHostsExchange_ReachesOnlyThatHostsQueue()
    {
        var body = $"start-{Guid.NewGuid():N}";
        await using (var functions = await broker.ConnectAsync("workers-functions"))
        await using (var channel = await functions.CreateChannelAsync(Confirmed))
        {
            await channel.BasicPublishAsync("host.host-b", string.Empty, Body(body));
        }

        await using var host = await broker.ConnectAsync("host-b");
        await using var hostChannel = await host.CreateChannelAsync();
        var received = await Poll.UntilAsync(() => hostChannel.BasicGetAsync("host.host-b", autoAck: true), r => r is not null && Encoding.UTF8.GetString(r.Body.Span) == body, TimeSpan.FromSeconds(10), "the command in host.host-b");
        Assert.NotNull(received);
        await using var other = await broker.ConnectAsync("host-a");
        Assert.Null(await NewestAsync(other, "host.host-a"));
    }

    [Fact]
    public async Task FunctionsUser_ConsumesAHostQueue_IsRefused()
    {
        await using var connection = await broker.ConnectAsync("workers-functions");
        await using var channel = await connection.CreateChannelAsync();

        await AssertRefusedAsync(() => channel.BasicConsumeAsync("host.host-a", autoAck: false, new AsyncEventingBasicConsumer(channel)));
    }

    [Fact]
    public async Task HostUser_PublishesReplicaStarted_ReachesTheTrackQueue()
    {
        var body = $"started-{Guid.NewGuid():N}";
        await using (var host = await broker.ConnectAsync("host-a"))
        await using (var channel = await host.CreateChannelAsync(Confirmed))
        {
            await channel.BasicPublishAsync("Workers.Contracts.Messages:ReplicaStarted", string.Empty, Body(body));
        }

        await using var functions = await broker.ConnectAsync("workers-functions");
        await using var functionsChannel = await functions.CreateChannelAsync();
        var received = await Poll.UntilAsync(() => functionsChannel.BasicGetAsync("workers.track", autoAck: true), r => r is not null && Encoding.UTF8.GetString(r.Body.Span) == body, TimeSpan.FromSeconds(10), "ReplicaStarted in workers.track");
        Assert.NotNull(received);
    }

    [Fact]
    public async Task HostUser_PublishesAFunctionsCommand_IsRefused()
    {
        await using var connection = await broker.ConnectAsync("host-a");
        await using var channel = await connection.CreateChannelAsync(Confirmed);

        await AssertRefusedAsync(() => channel.BasicPublishAsync("Workers.Contracts.Messages:DeploymentAccepted", string.Empty, Body("forged")).AsTask());
    }

    private static async Task<BasicGetResult?> NewestAsync(IConnection connection, string queue)
    {
        await using var channel = await connection.CreateChannelAsync();
        return await channel.BasicGetAsync(queue, autoAck: false);
    }

    private static CreateChannelOptions Confirmed => new(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true);

    private static ReadOnlyMemory<byte> Body(string text) => Encoding.UTF8.GetBytes(text);

    private static async Task AssertRefusedAsync(Func<Task> action)
    {
        var error = await Assert.ThrowsAnyAsync<Exception>(action);
        var shutdown = error switch
        {
            OperationInterruptedException interrupted => interrupted.ShutdownReason,
            PublishException { InnerException: OperationInterruptedException interrupted } => interrupted.ShutdownReason,
            _ => null,
        };
        Assert.True(shutdown?.ReplyCode == AccessRefused, $"expected ACCESS_REFUSED, got {error.GetType().Name}: {error.Message}");
    }
}
