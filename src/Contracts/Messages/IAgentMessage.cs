namespace Workers.Contracts.Messages;

/// <summary>A message an agent publishes about its own host: the functions accept it only signed with the key pinned for <see cref="HostId"/>.</summary>
public interface IAgentMessage : ISignedMessage
{
    /// <summary>The host whose agent sent it.</summary>
    string HostId { get; }
}
