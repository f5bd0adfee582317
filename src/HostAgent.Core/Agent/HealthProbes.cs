using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Workers.Contracts.Spec;
using Workers.HostAgent.Runtime;

namespace Workers.HostAgent.Agent;

/// <summary>One probe's answer: passed, or why not.</summary>
public sealed record ProbeResult(bool Passed, string? Reason)
{
    /// <summary>The longest reason kept: a reason is a line in a status, not a log.</summary>
    public const int MaxReason = 200;

    public static ProbeResult Pass { get; } = new(true, null);

    public static ProbeResult Fail(string reason) => new(false, reason.Length <= MaxReason ? reason : string.Concat(reason.AsSpan(0, MaxReason - 1), "…"));
}

/// <summary>
/// Runs the probes of health checks. HTTP and TCP probes run from the agent to the host port published for the
/// probe's container port, on the agent's bind address (loopback when that is every address), so that images without
/// curl or wget can be checked; a command runs inside the container through Docker exec.
/// </summary>
public sealed class HealthProbes : IDisposable
{
    /// <summary>
    /// How long (at most half the timeout) a TCP connection must stay open to count. For a published port Docker's
    /// userland proxy accepts every connection and closes it at once when nothing listens in the container, so an
    /// accepted connect alone says nothing.
    /// </summary>
    public static readonly TimeSpan SettleWindow = TimeSpan.FromMilliseconds(100);

    private readonly IContainerRuntime _runtime;
    private readonly IPAddress _address;

    // No proxy (HTTP_PROXY must not carry probes elsewhere) and no redirects: a 3xx answer is healthy as it is.
    private readonly HttpClient _http = new(new SocketsHttpHandler { UseProxy = false, AllowAutoRedirect = false }) { Timeout = System.Threading.Timeout.InfiniteTimeSpan };

    public HealthProbes(IContainerRuntime runtime, AgentOptions options)
    {
        ArgumentNullException.ThrowIfNull(runtime);
        ArgumentNullException.ThrowIfNull(options);
        _runtime = runtime;
        var bind = IPAddress.Parse(options.BindAddress);
        _address = bind.Equals(IPAddress.Any) ? IPAddress.Loopback : bind.Equals(IPAddress.IPv6Any) ? IPAddress.IPv6Loopback : bind;
    }

    /// <summary>Probes <paramref name="container"/> once; throws only when <paramref name="cancellationToken"/> is cancelled.</summary>
    public async Task<ProbeResult> RunAsync(HealthCheckLabel check, ManagedContainer container, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(check);
        ArgumentNullException.ThrowIfNull(container);
        IPEndPoint? endpoint = null;
        if (check.Kind != HealthCheckLabel.CommandKind)
        {
            if (container.Ports.FirstOrDefault(p => p.ContainerPort == check.Port && p.Protocol == "tcp") is not { } published)
            {
                return ProbeResult.Fail($"container port {check.Port}/tcp is not published");
            }

            endpoint = new IPEndPoint(_address, published.HostPort);
        }

        var what = check.Kind switch
        {
            HealthCheckLabel.HttpKind => $"GET {check.Path}",
            HealthCheckLabel.TcpKind => $"connect {endpoint}",
            _ => $"exec {check.Command![0]}",
        };
        using var bounded = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        bounded.CancelAfter(check.Timeout);
        try
        {
            return check.Kind switch
            {
                HealthCheckLabel.HttpKind => await HttpAsync(what, endpoint!, check.Path!, bounded.Token),
                HealthCheckLabel.TcpKind => await TcpAsync(what, endpoint!, check.Timeout, bounded.Token),
                _ => await CommandAsync(container.Id, check.Command!, check.Timeout, cancellationToken),
            };
        }
        catch (Exception exception) when (!cancellationToken.IsCancellationRequested)
        {
            var why = exception is OperationCanceledException or TimeoutException ? $"timed out after {Duration.From(check.Timeout)}" : Describe(exception);
            return ProbeResult.Fail($"{what}: {why}");
        }
    }

    public void Dispose() => _http.Dispose();

    private async Task<ProbeResult> HttpAsync(string what, IPEndPoint endpoint, string path, CancellationToken cancellationToken)
    {
        using var response = await _http.GetAsync(new Uri($"http://{endpoint}{path}"), HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        var status = (int)response.StatusCode;
        return status is >= 200 and < 400 ? ProbeResult.Pass : ProbeResult.Fail($"{what} -> {status.ToString(CultureInfo.InvariantCulture)}");
    }

    private static async Task<ProbeResult> TcpAsync(string what, IPEndPoint endpoint, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var socket = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(endpoint, cancellationToken);
        using var settle = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        settle.CancelAfter(SettleWindow < timeout / 2 ? SettleWindow : timeout / 2);
        try
        {
            return await socket.ReceiveAsync(new byte[1], SocketFlags.None, settle.Token) == 0
                ? ProbeResult.Fail($"{what}: connection closed")
                : ProbeResult.Pass;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            // Still open and silent, as most servers are until spoken to.
            return ProbeResult.Pass;
        }
    }

    private async Task<ProbeResult> CommandAsync(string containerId, IReadOnlyList<string> command, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var ended = await _runtime.ExecAsync(containerId, command, timeout, cancellationToken);
        if (ended.ExitCode == 0)
        {
            return ProbeResult.Pass;
        }

        var exit = $"exit {ended.ExitCode.ToString(CultureInfo.InvariantCulture)}";
        var last = ended.Output.Split('\n').Select(line => line.Trim()).LastOrDefault(line => line.Length > 0);
        return ProbeResult.Fail(last is null ? exit : $"{exit}: {last}");
    }

    /// <summary>The innermost cause that says what happened to the connection, in a few words.</summary>
    private static string Describe(Exception exception)
    {
        for (var cause = exception; cause is not null; cause = cause.InnerException)
        {
            switch (cause)
            {
                case SocketException { SocketErrorCode: SocketError.ConnectionRefused }:
                    return "connection refused";
                case SocketException { SocketErrorCode: SocketError.ConnectionReset }:
                    return "connection reset";
                case SocketException socket:
                    return socket.Message;
                case HttpRequestException { HttpRequestError: HttpRequestError.ResponseEnded }:
                case HttpIOException { HttpRequestError: HttpRequestError.ResponseEnded }:
                    return "connection closed";
            }
        }

        return exception.Message;
    }
}
