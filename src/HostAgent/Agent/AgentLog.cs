
namespace Workers.HostAgent.Agent;

internal static partial class AgentLog
{
    [LoggerMessage(1, LogLevel.Information, "Replica {Deployment} r{Revision} #{Index} running in {ContainerId}")]
    public static partial void ReplicaStarted(ILogger logger, string deployment, long revision, int index, string containerId);

    [LoggerMessage(2, LogLevel.Warning, "Replica {Deployment} r{Revision} #{Index} failed: {Reason}")]
    public static partial void ReplicaFailed(ILogger logger, string deployment, long revision, int index, string reason);

    [LoggerMessage(3, LogLevel.Information, "Replica {Deployment} r{Revision} #{Index} stopped (existed: {Existed})")]
    public static partial void ReplicaStopped(ILogger logger, string deployment, long revision, int index, bool existed);

    [LoggerMessage(4, LogLevel.Warning, "Heartbeat of {HostId} failed; the next one is due in {Interval}")]
    public static partial void HeartbeatFailed(ILogger logger, Exception exception, string hostId, TimeSpan interval);

    [LoggerMessage(5, LogLevel.Information, "Agent {HostId} consuming queue {Queue}, ports bound to {BindAddress}")]
    public static partial void Started(ILogger logger, string hostId, string queue, string bindAddress);
}
