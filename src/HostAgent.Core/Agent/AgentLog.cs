using Workers.Contracts.Messages;

namespace Workers.HostAgent.Agent;

internal static partial class AgentLog
{
    [LoggerMessage(1, LogLevel.Information, "Replica {Deployment} r{Revision} #{Index} running in {ContainerId}")]
    public static partial void ReplicaStarted(ILogger logger, string deployment, long revision, int index, string containerId);

    [LoggerMessage(2, LogLevel.Warning, "Replica {Deployment} r{Revision} #{Index} failed: {Reason}")]
    public static partial void ReplicaFailed(ILogger logger, string deployment, long revision, int index, string reason);

    [LoggerMessage(3, LogLevel.Information, "Replica {Deployment} r{Revision} #{Index} stopped (existed: {Existed})")]
    public static partial void ReplicaStopped(ILogger logger, string deployment, long revision, int index, bool existed);

    [LoggerMessage(4, LogLevel.Warning, "Heartbeat of {HostId} failed: {Reason}; trying again every {Interval}, quietly until one gets through")]
    public static partial void HeartbeatFailed(ILogger logger, string hostId, string reason, TimeSpan interval);

    [LoggerMessage(15, LogLevel.Debug, "Heartbeat of {HostId} failed again")]
    public static partial void HeartbeatFailedAgain(ILogger logger, Exception exception, string hostId);

    [LoggerMessage(16, LogLevel.Information, "Heartbeats of {HostId} get through again, after {Missed} missed")]
    public static partial void HeartbeatsBack(ILogger logger, string hostId, int missed);

    [LoggerMessage(5, LogLevel.Information, "Agent {HostId} consuming queue {Queue}, ports bound to {BindAddress}")]
    public static partial void Started(ILogger logger, string hostId, string queue, string bindAddress);

    [LoggerMessage(7, LogLevel.Information, "Replica {Deployment} r{Revision} #{Index} healthy in {ContainerId}")]
    public static partial void ReplicaHealthy(ILogger logger, string deployment, long revision, int index, string containerId);

    [LoggerMessage(8, LogLevel.Warning, "Replica {Deployment} r{Revision} #{Index} unhealthy in {ContainerId}: {Reason}")]
    public static partial void ReplicaUnhealthy(ILogger logger, string deployment, long revision, int index, string containerId, string? reason);

    [LoggerMessage(9, LogLevel.Warning, "Replica {Deployment} r{Revision} #{Index} turned {Health}, which could not be published; the next heartbeat carries it")]
    public static partial void HealthPublishFailed(ILogger logger, Exception exception, string deployment, long revision, int index, ReplicaHealth health);

    [LoggerMessage(10, LogLevel.Warning, "Listing this host's containers for health checks failed; listing again in {Interval}")]
    public static partial void HealthListingFailed(ILogger logger, Exception exception, TimeSpan interval);

    [LoggerMessage(11, LogLevel.Warning, "No heartbeat of {HostId} has reached the broker for {Silence}: stopping its {Count} running replica(s), which the functions place elsewhere once the host times out")]
    public static partial void DisconnectStopping(ILogger logger, string hostId, TimeSpan silence, int count);

    [LoggerMessage(12, LogLevel.Warning, "Replica {Deployment} r{Revision} #{Index} stopped in {ContainerId}: cut off from the broker")]
    public static partial void DisconnectStopped(ILogger logger, string deployment, long revision, int index, string containerId);

    [LoggerMessage(13, LogLevel.Information, "Replica {Deployment} r{Revision} #{Index} stopped for the partition is reported and removed ({ContainerId})")]
    public static partial void DisconnectReported(ILogger logger, string deployment, long revision, int index, string containerId);

    [LoggerMessage(14, LogLevel.Warning, "Stopping or reporting replicas cut off from the broker failed; trying again at the next heartbeat (every {Interval})")]
    public static partial void DisconnectGuardFailed(ILogger logger, Exception exception, TimeSpan interval);

    [LoggerMessage(40, LogLevel.Warning, "Refused a {Command} for {Deployment} r{Revision}, and answered nothing: {Reason}")]
    public static partial void CommandRefused(ILogger logger, string command, string deployment, long revision, string reason);

    [LoggerMessage(41, LogLevel.Information, "Ignored a stop of {Deployment} r{Revision} #{Index} made at {StopAt:O}: its container was started by a command made later, at {StartAt:O}")]
    public static partial void StaleStopIgnored(ILogger logger, string deployment, long revision, int index, DateTimeOffset stopAt, DateTimeOffset startAt);

    [LoggerMessage(42, LogLevel.Information, "Ignored a logs request for {Deployment} #{Index} that expired at {ExpiresAt:O}: whoever asked has stopped waiting")]
    public static partial void LogsRequestExpired(ILogger logger, string deployment, int index, DateTimeOffset expiresAt);
}
