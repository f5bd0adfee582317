namespace Workers.Contracts.Messages;

/// <summary>Host ports <paramref name="First"/> to <paramref name="Last"/>, both included.</summary>
/// <param name="First">The lowest port of the range.</param>
/// <param name="Last">The highest port of the range, not below <paramref name="First"/>.</param>
public sealed record HostPortRange(int First, int Last)
{
    /// <summary>Whether <paramref name="port"/> is in the range.</summary>
    /// <param name="port">A port number.</param>
    public bool Contains(int port) => port >= First && port <= Last;

    /// <inheritdoc />
    public override string ToString() => First == Last ? $"{First}" : $"{First}-{Last}";
}
