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

    /// <summary>The send address of a host's queue.</summary>
    public static Uri HostAddress(string hostId) => new($"queue:{Host(hostId)}");

    /// <summary>The send address of a function's queue, for requests that go straight to it.</summary>
    public static Uri Address(string queue) => new($"queue:{queue}");
}
