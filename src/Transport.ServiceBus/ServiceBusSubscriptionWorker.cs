using Azure.Messaging.ServiceBus;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Workers.Transport.ServiceBus;

/// <summary>
/// Runs one subscription of the flow topic in a self-hosted process: a <see cref="ServiceBusProcessor"/> in peek-lock
/// mode without auto-complete, each message through <see cref="ServiceBusPump"/>. A host agent's subscription takes
/// one message at a time, like its RabbitMQ queue.
/// </summary>
public sealed class ServiceBusSubscriptionWorker(
    ServiceBusClient client,
    ServiceBusSettings settings,
    ServiceBusPump pump,
    string subscription,
    MessageHandler handler,
    int maxConcurrentCalls,
    ILogger<ServiceBusSubscriptionWorker> logger) : IHostedService, IAsyncDisposable
{
    private ServiceBusProcessor? _processor;

    public string Subscription => subscription;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        _processor = client.CreateProcessor(settings.Topic, subscription, new ServiceBusProcessorOptions
        {
            AutoCompleteMessages = false,
            ReceiveMode = ServiceBusReceiveMode.PeekLock,
            MaxConcurrentCalls = maxConcurrentCalls,
        });
        _processor.ProcessMessageAsync += args => pump.HandleAsync(args.Message, new ProcessorSettlement(args), handler, args.CancellationToken);
        _processor.ProcessErrorAsync += args =>
        {
            ServiceBusLog.ProcessorError(logger, args.Exception, args.EntityPath, args.ErrorSource.ToString());
            return Task.CompletedTask;
        };
        await _processor.StartProcessingAsync(cancellationToken);
        ServiceBusLog.Consuming(logger, subscription, settings.Topic, settings.FullyQualifiedNamespace);
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_processor is not null)
        {
            await _processor.StopProcessingAsync(cancellationToken);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_processor is not null)
        {
            await _processor.DisposeAsync();
        }
    }
}
