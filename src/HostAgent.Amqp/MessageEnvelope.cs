using System.Text.Json;

namespace Workers.HostAgent.Amqp;

/// <summary>
/// MassTransit's JSON envelope (<c>application/vnd.masstransit+json</c>), field for field as MassTransit 8.5 writes
/// it (its <c>JsonMessageEnvelope</c>): the message itself under <see cref="Message"/>, what it is under
/// <see cref="MessageType"/> (<c>urn:message:Namespace:Type</c>, most specific first), and where answers go.
/// </summary>
public sealed record MessageEnvelope
{
    public string? MessageId { get; init; }

    public string? RequestId { get; init; }

    public string? CorrelationId { get; init; }

    public string? ConversationId { get; init; }

    public string? InitiatorId { get; init; }

    public string? SourceAddress { get; init; }

    public string? DestinationAddress { get; init; }

    public string? ResponseAddress { get; init; }

    public string? FaultAddress { get; init; }

    public IReadOnlyList<string>? MessageType { get; init; }

    public JsonElement? Message { get; init; }

    public DateTime? ExpirationTime { get; init; }

    public DateTime? SentTime { get; init; }

    /// <summary>MassTransit's own headers (values of any JSON kind), beside the transport's.</summary>
    public IReadOnlyDictionary<string, JsonElement>? Headers { get; init; }

    public BusHostInfo? Host { get; init; }
}

/// <summary>The sending process, as MassTransit describes it in <c>host</c> (its <c>HostInfo</c>).</summary>
public sealed record BusHostInfo(
    string? MachineName,
    string? ProcessName,
    int ProcessId,
    string? Assembly,
    string? AssemblyVersion,
    string? FrameworkVersion,
    string? MassTransitVersion,
    string? OperatingSystemVersion)
{
    /// <summary>This process. No MassTransit version: none runs here.</summary>
    public static BusHostInfo Current { get; } = Describe();

    private static BusHostInfo Describe()
    {
        var entry = System.Reflection.Assembly.GetEntryAssembly()?.GetName();
        using var process = System.Diagnostics.Process.GetCurrentProcess();
        return new BusHostInfo(
            Environment.MachineName,
            process.ProcessName,
            Environment.ProcessId,
            entry?.Name,
            entry?.Version?.ToString(),
            Environment.Version.ToString(),
            null,
            Environment.OSVersion.ToString());
    }
}

/// <summary>
/// The body of MassTransit's <c>Fault&lt;T&gt;</c> (its <c>FaultEvent&lt;T&gt;</c>): what a request client receives in
/// place of a response when the consumer failed, and turns into a <c>RequestFaultException</c>.
/// </summary>
public sealed record FaultBody(
    Guid FaultId,
    Guid? FaultedMessageId,
    DateTime Timestamp,
    IReadOnlyList<FaultExceptionInfo> Exceptions,
    BusHostInfo Host,
    IReadOnlyList<string> FaultMessageTypes,
    JsonElement Message);

/// <summary>One exception of a <see cref="FaultBody"/> (MassTransit's <c>ExceptionInfo</c>).</summary>
public sealed record FaultExceptionInfo(string ExceptionType, FaultExceptionInfo? InnerException, string? StackTrace, string Message, string? Source);
