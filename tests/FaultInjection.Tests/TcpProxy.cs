using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;

namespace Workers.FaultInjection.Tests;

/// <summary>
/// A TCP proxy on 127.0.0.1 (a free port) in front of one endpoint, to cut one client off from a server without
/// touching either. <see cref="Blackhole"/> stops passing bytes both ways while every socket stays open, as a network
/// partition does: nothing arrives and nothing is refused, new connections are accepted and hear nothing, and only the
/// ends' own timeouts can tell. <see cref="Heal"/> passes on whatever waited, and everything after.
/// </summary>
internal sealed class TcpProxy : IAsyncDisposable
{
    private const int BufferSize = 16 * 1024;

    private readonly IPEndPoint _upstream;
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _closing = new();
    private readonly ConcurrentDictionary<Task, bool> _connections = new();
    private readonly Lock _gate = new();
    private readonly Task _accepting;
    private TaskCompletionSource _open = Opened();
    private long _accepted;

    public TcpProxy(IPEndPoint upstream)
    {
        ArgumentNullException.ThrowIfNull(upstream);
        _upstream = upstream;
        _listener.Start();
        Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
        _accepting = AcceptAsync();
    }

    /// <summary>The port the proxy listens on, at 127.0.0.1.</summary>
    public int Port { get; }

    /// <summary>Connections accepted so far.</summary>
    public long Accepted => Interlocked.Read(ref _accepted);

    public bool IsBlackholed
    {
        get
        {
            lock (_gate)
            {
                return !_open.Task.IsCompleted;
            }
        }
    }

    /// <summary>From now on no byte passes, either way, until <see cref="Heal"/>.</summary>
    public void Blackhole()
    {
        lock (_gate)
        {
            if (_open.Task.IsCompleted)
            {
                _open = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            }
        }
    }

    /// <summary>Bytes pass again, those held back first.</summary>
    public void Heal()
    {
        lock (_gate)
        {
            _open.TrySetResult();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _closing.CancelAsync();
        _listener.Stop();
        Heal();
        await _accepting;
        await Task.WhenAll(_connections.Keys);
        _closing.Dispose();
    }

    private static TaskCompletionSource Opened()
    {
        var open = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        open.SetResult();
        return open;
    }

    private Task OpenAsync(CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            return _open.Task.WaitAsync(cancellationToken);
        }
    }

    private async Task AcceptAsync()
    {
        while (!_closing.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await _listener.AcceptSocketAsync(_closing.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }

            Interlocked.Increment(ref _accepted);
            var connection = Task.Run(() => RelayAsync(client));
            _connections[connection] = true;
            _ = connection.ContinueWith(done => _connections.TryRemove(done, out _), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        }
    }

    /// <summary>One client connection and its own connection upstream, until either end closes or the proxy does.</summary>
    private async Task RelayAsync(Socket client)
    {
        using var server = new Socket(_upstream.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        using (client)
        using (var ended = CancellationTokenSource.CreateLinkedTokenSource(_closing.Token))
        {
            try
            {
                await server.ConnectAsync(_upstream, ended.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException)
            {
                return;
            }

            var pumps = new[] { PumpAsync(client, server, ended.Token), PumpAsync(server, client, ended.Token) };
            await Task.WhenAny(pumps);

            // One side closed (or the proxy is closing): close both, as a plain TCP relay would.
            await ended.CancelAsync();
            client.Close();
            server.Close();
            await Task.WhenAll(pumps);
        }
    }

    private async Task PumpAsync(Socket from, Socket to, CancellationToken cancellationToken)
    {
        var buffer = new byte[BufferSize];
        try
        {
            while (true)
            {
                // Held before reading and again before writing: blackholed, neither end hears a thing, not even a close.
                await OpenAsync(cancellationToken);
                var read = await from.ReceiveAsync(buffer, SocketFlags.None, cancellationToken);
                if (read == 0)
                {
                    return;
                }

                await OpenAsync(cancellationToken);
                await to.SendAsync(buffer.AsMemory(0, read), SocketFlags.None, cancellationToken);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
            // The connection ended.
        }
    }
}
