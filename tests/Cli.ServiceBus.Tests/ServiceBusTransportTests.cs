using Azure.Messaging.ServiceBus;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Workers.Cli.Contexts;
using Workers.Contracts.Messages;
using Workers.Functions;
using Workers.Functions.Store;
using Workers.Security;
using Workers.Transport.ServiceBus;
using Workers.Transport.ServiceBus.Tests.Support;

namespace Workers.Cli.ServiceBus.Tests;

/// <summary>
/// The CLI's client on Service Bus, with the SDK's client, senders and session receiver faked (no namespace or emulator
/// can run here). The functions on the other side are real: what the CLI sends to the topic is handed, as Service Bus
/// would deliver it to the query subscription, to the functions' router over a real SQLite store, and their reply
/// goes back the way the functions host sends it.
/// </summary>
public sealed class ServiceBusTransportTests : IAsyncLifetime
{
    private static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(5);

    private readonly DirectoryInfo _directory = Directory.CreateTempSubdirectory("workers-cli-servicebus-");
    private readonly FakeClient _client = new();
    private readonly ServiceBusSettings _settings = new("fake.servicebus.windows.net");
    private ServiceProvider _functions = null!;
    private ServiceBusTransport _transport = null!;

    private FakeSender Topic => (FakeSender)_client.CreateSender(ServiceBusTopology.DefaultTopic);

    private FakeSender Replies => (FakeSender)_client.CreateSender(ServiceBusTopology.DefaultReplyQueue);

    public async Task InitializeAsync()
    {
        var services = new ServiceCollection().AddLogging();
        services.AddSingleton<IConfiguration>(new ConfigurationBuilder().Build());
        services.AddSingleton(SigningKey.Generate());
        services.AddWorkersHandlers(_ => new SqliteDialect(Path.Combine(_directory.FullName, "workers.db")));
        services.AddSingleton<ServiceBusClient>(_client);
        services.AddWorkersServiceBus(_settings);
        services.AddWorkersServiceBusFunctions();
        _functions = services.BuildServiceProvider();
        await _functions.GetRequiredService<IDeploymentStore>().MigrateAsync(CancellationToken.None);
        _transport = new ServiceBusTransport(_client, _settings, ServiceBusTopology.DefaultReplyQueue, RequestTimeout, TimeProvider.System);
    }

    public async Task DisposeAsync()
    {
        await _transport.DisposeAsync();
        await _functions.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        _directory.Delete(recursive: true);
    }

    [Fact]
    public async Task Request_FunctionsAnswer_TheReplyIsReadFromThisClientsOwnSession()
    {
        AnswerQueries();

        var reply = await new WorkersClient(_transport).HostsAsync(CancellationToken.None);

        Assert.Empty(reply.Hosts);
        var request = Assert.Single(Topic.Sent);
        Assert.Equal(("GetHosts", typeof(GetHosts).FullName), (request.Subject, request.ApplicationProperties[ServiceBusTopology.MessageTypeProperty]));
        Assert.Equal((ServiceBusTopology.DefaultReplyQueue, _transport.Session), (request.ReplyTo, request.ReplyToSessionId));
        var session = Assert.Single(_client.Sessions);
        Assert.Equal((ServiceBusTopology.DefaultReplyQueue, _transport.Session), (session.EntityPath, session.SessionId));
        Assert.Equal(request.MessageId, Assert.Single(session.Completed).ApplicationProperties[ServiceBusTopology.InReplyToProperty]);
    }

    [Fact]
    public async Task Request_AnswerToAnEarlierRequestIsWaitingInTheSession_IsSettledAndSkipped()
    {
        AnswerQueries();
        var stale = ServiceBusEnvelope.Create(new HostsReply(Guid.NewGuid(), Guid.NewGuid(), DateTimeOffset.UtcNow, []));
        stale.SessionId = _transport.Session;
        stale.ApplicationProperties[ServiceBusTopology.InReplyToProperty] = Guid.NewGuid().ToString("D");
        await Replies.SendMessageAsync(stale);

        var status = await new WorkersClient(_transport).StatusAsync("web", null, CancellationToken.None);

        Assert.Empty(status.Deployments);
        Assert.Equal(2, Assert.Single(_client.Sessions).Completed.Count);
    }

    [Fact]
    public async Task Request_AnotherClientsReplyOnTheQueue_IsNotRead()
    {
        AnswerQueries();
        var theirs = ServiceBusEnvelope.Create(new HostsReply(Guid.NewGuid(), Guid.NewGuid(), DateTimeOffset.UtcNow, []));
        theirs.SessionId = "another-cli";
        await Replies.SendMessageAsync(theirs);

        await new WorkersClient(_transport).HostsAsync(CancellationToken.None);

        Assert.DoesNotContain(Assert.Single(_client.Sessions).Completed, m => m.MessageId == theirs.MessageId);
    }

    [Fact]
    public async Task Request_NoFunctionsAnswer_FailsSayingNoneAnsweredWithinTheTimeout()
    {
        var error = await Assert.ThrowsAsync<WorkersUnavailableException>(() => new WorkersClient(_transport).HostsAsync(CancellationToken.None));

        Assert.StartsWith("no functions answered within 5s", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Deploy_SendsDeploymentRequestedToTheTopicAsAnEventWithNoReplyAddress()
    {
        var id = await new WorkersClient(_transport).DeployAsync("name: web\nimage: registry.example.com/web:1\n", "web.yaml", CancellationToken.None);

        var sent = Assert.Single(Topic.Sent);
        Assert.Equal(("DeploymentRequested", id.ToString("D"), null), (sent.Subject, sent.CorrelationId, sent.ReplyTo));
        Assert.False(sent.ApplicationProperties.ContainsKey(ServiceBusTopology.HostIdProperty));
        Assert.Empty(_client.Sessions);
    }

    [Fact]
    public void Open_BadSettings_IsAUsageErrorListingEveryProblemWithoutTheSecret()
    {
        var environment = new Dictionary<string, string?>
        {
            ["WORKERS_SERVICEBUS_CONNECTION"] = "SharedAccessKey=hunter2",
            ["WORKERS_SERVICEBUS_MAX_DELIVERIES"] = "none",
        };

        var error = Assert.Throws<CliFailure>(() => ServiceBusTransport.Open("servicebus://ns.servicebus.windows.net/", environment.GetValueOrDefault, RequestTimeout));

        Assert.Equal(ExitCodes.Usage, error.ExitCode);
        Assert.Contains("WORKERS_SERVICEBUS_CONNECTION", error.Message, StringComparison.Ordinal);
        Assert.Contains("WORKERS_SERVICEBUS_MAX_DELIVERIES", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("hunter2", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Status_ServiceBusWithBadSettings_IsAUsageErrorInOneLineWithoutTheSecret()
    {
        var home = _directory.CreateSubdirectory("home").FullName;
        var (exit, output, error) = await CliProcess.RunAsync(
            new Dictionary<string, string>
            {
                ["WORKERS_BROKER"] = "servicebus://ns.servicebus.windows.net/",
                ["WORKERS_SERVICEBUS_CONNECTION"] = "SharedAccessKey=hunter2",
                ["HOME"] = home,
                ["XDG_CONFIG_HOME"] = home,
                ["DOCKER_HOST"] = "unix:///nonexistent",
            },
            "status");

        Assert.Equal((ExitCodes.Usage, string.Empty), (exit, output));
        Assert.StartsWith("workers: WORKERS_SERVICEBUS_CONNECTION is not a Service Bus connection string", Assert.Single(error.Trim().Split('\n')), StringComparison.Ordinal);
        Assert.DoesNotContain("hunter2", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Open_ReplyQueueIsTheTopic_IsRefused()
    {
        var environment = new Dictionary<string, string?> { [ServiceBusTransport.ReplyQueueSetting] = "workers" };

        var error = Assert.Throws<CliFailure>(() => ServiceBusTransport.Open("servicebus://ns.servicebus.windows.net/", environment.GetValueOrDefault, RequestTimeout));

        Assert.Contains("is the flow topic", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Resolve_ServiceBusInWorkersBroker_IsABrokerTarget()
    {
        var target = Target.Resolve(null, null, key => key == "WORKERS_BROKER" ? "servicebus://ns.servicebus.windows.net/" : null);

        Assert.Equal(new Target.Bus("servicebus://ns.servicebus.windows.net/"), target);
    }

    [Fact]
    public void Context_ServiceBusBroker_IsAccepted()
    {
        Assert.Null(new CliContext { Name = "azure", Broker = "servicebus://ns.servicebus.windows.net/" }.Problem());
    }

    /// <summary>The query subscription's part of the functions: every query the CLI sends is answered as the functions host answers it.</summary>
    private void AnswerQueries()
    {
        var router = _functions.GetRequiredService<FunctionsMessageRouter>();
        Topic.OnSent = async sent =>
        {
            var delivered = Messages.Received(sent);
            if (ServiceBusTopology.FunctionSubscriptions["query"].Any(t => t.FullName == (string)sent.ApplicationProperties[ServiceBusTopology.MessageTypeProperty]))
            {
                await router.HandleAsync(ServiceBusEnvelope.Read(delivered).Message!, delivered, CancellationToken.None);
            }
        };
    }
}
