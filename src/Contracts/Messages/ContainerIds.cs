namespace Workers.Contracts.Messages;

/// <summary>How a container id is shown to people: its first 12 characters, as <c>docker ps</c> shows it.</summary>
public static class ContainerIds
{
    /// <summary>The id's first 12 characters (all of a shorter one).</summary>
    /// <param name="containerId">A container id, full or already short.</param>
    public static string Short(string containerId)
    {
        ArgumentNullException.ThrowIfNull(containerId);
        return containerId[..Math.Min(12, containerId.Length)];
    }
}
