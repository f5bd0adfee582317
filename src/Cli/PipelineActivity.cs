using MassTransit;

namespace Workers.Cli;

/// <summary>
/// The embedded pipeline's pulse: completes <see cref="Next"/> each time a consumer in this process has finished with a
/// message, which is when the store can have changed. The CLI's waits take <see cref="Next"/> before a read and wake on
/// it after, instead of sleeping a fixed interval between reads of a pipeline that has long moved on.
/// </summary>
internal sealed class PipelineActivity : IConsumeObserver
{
    private TaskCompletionSource _next = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Completes once a message consumed after this was read has been handled (or has failed).</summary>
    public Task Next => Volatile.Read(ref _next).Task;

    public Task PreConsume<T>(ConsumeContext<T> context)
        where T : class => Task.CompletedTask;

    public Task PostConsume<T>(ConsumeContext<T> context)
        where T : class => Pulse();

    public Task ConsumeFault<T>(ConsumeContext<T> context, Exception exception)
        where T : class => Pulse();

    private Task Pulse()
    {
        Interlocked.Exchange(ref _next, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
        return Task.CompletedTask;
    }
}
