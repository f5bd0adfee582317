namespace Workers.Transport;

/// <summary>Queue names: the wire layout every piece agrees on.</summary>
public static class Queues
{
    public const string Validate = "workers.validate";
    public const string Plan = "workers.plan";
    public const string Track = "workers.track";
    public const string Inventory = "workers.inventory";
    public const string Query = "workers.query";
    public const string Delete = "workers.delete";

    /// <summary>A host agent's own command queue.</summary>
    public static string Host(string hostId) => $"host.{hostId}";

    /// <summary>
    /// Where commands for a host are sent: the exchange in front of its queue, on the same broker and virtual host as
    /// <paramref name="endpointAddress"/>. A plain exchange address never declares the queue, so the agent alone decides
    /// how its queue is declared (a quorum queue) and who may read it.
    /// </summary>
    public static Uri HostAddress(Uri endpointAddress, string hostId) => new(endpointAddress, $"{Host(hostId)}?bind=false");

    /// <summary>The send address of a function's queue, for requests that go straight to it.</summary>
    public static Uri Address(string queue) => new($"queue:{queue}");
}
