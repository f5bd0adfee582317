namespace Workers.Transport;

/// <summary>
/// A bound on one publish or send. With publisher confirms, RabbitMQ.Client 7.2 can wait for ever for the confirm of a
/// message whose channel died in a broker restart (rabbitmq/rabbitmq-dotnet-client#1930), and MassTransit does not
/// always pass a cancellation down to that wait: a heartbeat loop or a consumer awaiting it would stop for good.
/// </summary>
public static class BrokerCalls
{
    /// <summary>
    /// Long enough for MassTransit to reconnect after a broker restart (its back-off reaches about 10 s), short enough
    /// that a consumer holding a message is freed well before anyone's deadline.
    /// </summary>
    public static readonly TimeSpan ConfirmTimeout = TimeSpan.FromSeconds(45);

    /// <summary>
    /// Runs <paramref name="call"/> with a token that is cancelled after <paramref name="timeout"/>, and stops waiting
    /// for it then even if the call ignores the token (the abandoned call may still complete; every Workers message
    /// carries the id that makes a resend safe). Throws <see cref="TimeoutException"/> on the bound and
    /// <see cref="OperationCanceledException"/> only when <paramref name="cancellationToken"/> itself was cancelled.
    /// </summary>
    public static async Task BoundedAsync(Func<CancellationToken, Task> call, TimeSpan timeout, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(call);
        using var bounded = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        bounded.CancelAfter(timeout);
        try
        {
            await call(bounded.Token).WaitAsync(bounded.Token);
        }
        catch (OperationCanceledException) when (bounded.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"the broker did not confirm within {timeout.TotalSeconds:0.#} s");
        }
    }
}
