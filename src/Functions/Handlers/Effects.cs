namespace Workers.Functions.Handlers;

/// <summary>
/// What a handler wants to happen next: events to publish and commands to send to host queues. The host adapter
/// (MassTransit or Azure Functions) carries them out, so handlers stay free of any transport.
/// </summary>
public sealed class Effects
{
    private readonly List<object> _published = [];
    private readonly List<(string HostId, object Command)> _sent = [];
    private readonly List<Func<CancellationToken, Task>> _dispatched = [];

    /// <summary>Events, in order.</summary>
    public IReadOnlyList<object> Published => _published;

    /// <summary>Commands for host queues, in order (a host receives its commands in this order).</summary>
    public IReadOnlyList<(string HostId, object Command)> Sent => _sent;

    public Effects Publish(object message)
    {
        _published.Add(message);
        return this;
    }

    public Effects Send(string hostId, object command)
    {
        _sent.Add((hostId, command));
        return this;
    }

    /// <summary>Puts <paramref name="command"/> in the place of the command at <paramref name="index"/> of <see cref="Sent"/>, for the same host.</summary>
    public Effects ReplaceSent(int index, object command)
    {
        _sent[index] = (_sent[index].HostId, command);
        return this;
    }

    /// <summary>What the adapter runs once every command and event went out (an outbox row is cleared, say), in order.</summary>
    public IReadOnlyList<Func<CancellationToken, Task>> Dispatched => _dispatched;

    /// <summary>Runs <paramref name="callback"/> after the commands and events were sent; never when sending failed.</summary>
    public Effects OnDispatched(Func<CancellationToken, Task> callback)
    {
        _dispatched.Add(callback);
        return this;
    }

    /// <summary>Runs the <see cref="Dispatched"/> callbacks: for adapters, after they sent everything.</summary>
    public async Task CompleteAsync(CancellationToken cancellationToken)
    {
        foreach (var callback in _dispatched)
        {
            await callback(cancellationToken);
        }
    }

    /// <summary>Adds what another handler wants after what this one wants, in order.</summary>
    public Effects Add(Effects other)
    {
        ArgumentNullException.ThrowIfNull(other);
        _published.AddRange(other._published);
        _sent.AddRange(other._sent);
        _dispatched.AddRange(other._dispatched);
        return this;
    }
}
