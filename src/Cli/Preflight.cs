using System.Net.Sockets;
using System.Security.Authentication;
using Microsoft.Extensions.Logging.Abstractions;
using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;
using Workers.HostAgent.Runtime;
using Workers.Transport;

namespace Workers.Cli;

/// <summary>
/// Checks, before anything is started, that what a command needs is there: the broker (one plain AMQP connection),
/// or for the embedded default the Docker engine. A failure becomes one line naming what, where and why, instead of
/// the bus retrying until the command's timeout.
/// </summary>
internal static class Preflight
{
    /// <summary>The bound on a check when the command gives none (<c>--timeout</c> at its default).</summary>
    public static readonly TimeSpan DefaultLimit = LimitFor(TimeSpan.FromSeconds(300));

    /// <summary>
    /// How long a check waits for an answer, given the command's <c>--timeout</c>: that timeout, but at most 15 s, so
    /// that an address that swallows packets is named within seconds rather than after the whole command's five minutes,
    /// and at least 10 s, because a healthy broker's connect and channel took more than 4 s on a loaded two-core
    /// machine. A refused connection or login is answered at once whatever the bound; a <c>--timeout</c> shorter than
    /// the floor still ends the command at its own deadline.
    /// </summary>
    public static TimeSpan LimitFor(TimeSpan timeout) =>
        TimeSpan.FromSeconds(Math.Clamp(timeout.TotalSeconds, 10, 15));

    public static async Task CheckBrokerAsync(Broker broker, TimeSpan limit, CancellationToken cancellationToken)
    {
        var factory = broker.ConnectionFactory("workers-cli-check");
        factory.RequestedConnectionTimeout = limit;
        factory.HandshakeContinuationTimeout = limit;
        factory.ContinuationTimeout = limit;
        factory.AutomaticRecoveryEnabled = false;
        factory.TopologyRecoveryEnabled = false;
        using var bounded = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        bounded.CancelAfter(limit);
        try
        {
            // A channel too: a virtual host the user may not use is refused only then.
            await using var connection = await broker.ConnectAsync(factory, bounded.Token);
            await using (await connection.CreateChannelAsync(cancellationToken: bounded.Token))
            {
            }

            await connection.CloseAsync(bounded.Token);
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested)
        {
            throw BrokerFailure(broker, e, limit);
        }
    }

    public static async Task CheckDockerAsync(TimeSpan limit, CancellationToken cancellationToken)
    {
        Uri endpoint;
        try
        {
            endpoint = DockerContainerRuntime.EndpointFromEnvironment();
        }
        catch (UriFormatException e)
        {
            throw new CliFailure(ExitCodes.Usage, "config.invalid", $"DOCKER_HOST '{Environment.GetEnvironmentVariable("DOCKER_HOST")}' is not an address: {e.Message}", e);
        }

        using var runtime = new DockerContainerRuntime(endpoint, NullLogger<DockerContainerRuntime>.Instance);
        using var bounded = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        bounded.CancelAfter(limit);
        try
        {
            await runtime.GetApiVersionAsync(bounded.Token);
        }
        catch (DockerEngineUnsupportedException e)
        {
            throw new CliFailure(ExitCodes.Unavailable, "docker.unsupported", $"Docker at {endpoint} cannot be used: {e.Message}", e);
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested)
        {
            throw DockerFailure(endpoint, e, limit);
        }
    }

    /// <summary>
    /// Whether something accepts connections at the server's address (one TCP connect, no request): false only when
    /// the connection is refused or not answered within <paramref name="limit"/>, as when <c>workers serve</c> has stopped.
    /// </summary>
    public static async Task<bool> ServerListensAsync(Uri server, TimeSpan limit, CancellationToken cancellationToken)
    {
        using var bounded = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        bounded.CancelAfter(limit);
        using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        try
        {
            await socket.ConnectAsync(server.Host, server.Port, bounded.Token);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return false;
        }
    }

    internal static CliFailure BrokerFailure(Broker broker, Exception e, TimeSpan? limit = null)
    {
        var bound = limit ?? DefaultLimit;
        var where = string.Join(",", broker.Nodes);
        var chain = Chain(e).ToList();
        if (chain.Any(x => x is AuthenticationFailureException or PossibleAuthenticationFailureException)
            || chain.OfType<OperationInterruptedException>().Any(x => x.ShutdownReason?.ReplyCode == Constants.AccessRefused))
        {
            return new CliFailure(ExitCodes.Unavailable, "broker.login-refused", $"RabbitMQ at {where} refused the login for user '{broker.Username}'", e);
        }

        if (chain.OfType<OperationInterruptedException>().Any(x => x.ShutdownReason?.ReplyCode == Constants.NotAllowed))
        {
            return new CliFailure(ExitCodes.Unavailable, "broker.vhost-refused", $"RabbitMQ at {where} refused user '{broker.Username}' access to virtual host '{broker.VirtualHost}'", e);
        }

        if (chain.OfType<AuthenticationException>().FirstOrDefault() is { } tls)
        {
            return new CliFailure(ExitCodes.Unavailable, "broker.tls", $"cannot reach RabbitMQ at {where}: the TLS handshake failed ({tls.Message})", e);
        }

        var reason = chain.OfType<SocketException>().FirstOrDefault() is { } socket ? Describe(socket, bound)
            : chain.Any(x => x is TimeoutException or OperationCanceledException) ? $"no answer within {bound.TotalSeconds:0}s"
            : chain[^1].Message;
        return new CliFailure(ExitCodes.Unavailable, "broker.unreachable", $"cannot reach RabbitMQ at {where}: {reason}", e);
    }

    internal static CliFailure DockerFailure(Uri endpoint, Exception e, TimeSpan? limit = null)
    {
        var bound = limit ?? DefaultLimit;
        var chain = Chain(e).ToList();
        var socket = chain.OfType<SocketException>().FirstOrDefault();
        return socket?.SocketErrorCode switch
        {
            SocketError.ConnectionRefused or SocketError.AddressNotAvailable =>
                new CliFailure(ExitCodes.Unavailable, "docker.unreachable", $"Docker is not running at {endpoint}", e),
            SocketError.AccessDenied =>
                new CliFailure(ExitCodes.Unavailable, "docker.unreachable", $"cannot use Docker at {endpoint}: permission denied (is this user in the docker group?)", e),
            { } => new CliFailure(ExitCodes.Unavailable, "docker.unreachable", $"cannot reach Docker at {endpoint}: {Describe(socket, bound)}", e),
            null when chain.Any(x => x is TimeoutException or OperationCanceledException) =>
                new CliFailure(ExitCodes.Unavailable, "docker.unreachable", $"Docker at {endpoint} did not answer within {bound.TotalSeconds:0}s", e),
            null => new CliFailure(ExitCodes.Unavailable, "docker.unreachable", $"cannot reach Docker at {endpoint}: {chain[^1].Message}", e),
        };
    }

    /// <summary>The socket's error in the words <c>curl</c> and <c>docker</c> use.</summary>
    internal static string Describe(SocketException socket, TimeSpan limit) => socket.SocketErrorCode switch
    {
        SocketError.ConnectionRefused => "connection refused",
        SocketError.HostNotFound or SocketError.NoData or SocketError.TryAgain => "no such host",
        SocketError.TimedOut => $"no answer within {limit.TotalSeconds:0}s",
        SocketError.HostUnreachable => "host unreachable",
        SocketError.NetworkUnreachable => "network unreachable",
        SocketError.ConnectionReset => "connection reset",
        SocketError.AccessDenied => "permission denied",
        SocketError.AddressNotAvailable => "no such socket",
        _ => socket.Message,
    };

    internal static IEnumerable<Exception> Chain(Exception e)
    {
        for (Exception? current = e; current is not null; current = current is AggregateException { InnerExceptions.Count: 1 } one ? one.InnerExceptions[0] : current.InnerException)
        {
            yield return current;
        }
    }
}
