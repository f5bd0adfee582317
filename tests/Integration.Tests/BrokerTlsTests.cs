using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using RabbitMQ.Client.Exceptions;
using Workers.Contracts.Messages;
using Workers.Transport;

namespace Workers.Integration.Tests;

/// <summary><c>amqps://</c> against a RabbitMQ that speaks TLS: the bus works over it, and an untrusted certificate is refused.</summary>
public sealed class BrokerTlsTests(TlsBrokerFixture broker) : IClassFixture<TlsBrokerFixture>
{
    [Fact]
    public async Task Amqps_WithTheBrokersCa_CarriesAMessageFromPublisherToConsumer()
    {
        var heard = new TaskCompletionSource<DeploymentSucceeded>(TaskCreationOptions.RunContinuationsAsynchronously);
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Services.AddSingleton(heard);
        builder.Services.AddWorkersBus(
            Broker.Parse(broker.Address(trustTheCa: true)),
            bus => bus.AddConsumer<TlsHeard>().Endpoint(e => e.Name = $"tls-test-{Guid.NewGuid():N}"),
            (context, cfg) => cfg.ConfigureEndpoints(context));
        using var host = builder.Build();
        await host.StartAsync();
        try
        {
            var sent = new DeploymentSucceeded(Guid.NewGuid(), Guid.NewGuid(), DateTimeOffset.UtcNow, "tls", 1);
            await host.Services.GetRequiredService<IBus>().Publish(sent);

            Assert.Equal(sent.CorrelationId, (await heard.Task.WaitAsync(TimeSpan.FromSeconds(60))).CorrelationId);
        }
        finally
        {
            await host.StopAsync();
        }
    }

    [Fact]
    public async Task Amqps_CertificateNoTrustedCaIssued_IsRefused()
    {
        var untrusted = Broker.Parse(broker.Address(trustTheCa: false));
        var trusted = Broker.Parse(broker.Address(trustTheCa: true));

        var refused = await Assert.ThrowsAsync<BrokerUnreachableException>(() => untrusted.ConnectionFactory("tls-test").CreateConnectionAsync());
        await using var connection = await trusted.ConnectionFactory("tls-test").CreateConnectionAsync();

        Assert.Contains(Flatten(refused), e => e is System.Security.Authentication.AuthenticationException);
        Assert.True(connection.IsOpen);
    }

    private static IEnumerable<Exception> Flatten(Exception e)
    {
        for (Exception? inner = e; inner is not null; inner = inner.InnerException)
        {
            yield return inner;
        }
    }

}

/// <summary>Hands the first <see cref="DeploymentSucceeded"/> it hears to the test.</summary>
public sealed class TlsHeard(TaskCompletionSource<DeploymentSucceeded> heard) : IConsumer<DeploymentSucceeded>
{
    public Task Consume(ConsumeContext<DeploymentSucceeded> context)
    {
        heard.TrySetResult(context.Message);
        return Task.CompletedTask;
    }
}
