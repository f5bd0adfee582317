namespace Workers.Contracts.Messages;

/// <summary>Where a deployment revision stands.</summary>
public enum DeploymentState
{
    /// <summary>Placed; its replicas are starting.</summary>
    Pending,

    /// <summary>Every replica runs.</summary>
    Running,

    /// <summary>A replica could not run; the others were stopped.</summary>
    Failed,

    /// <summary>A newer revision replaced it.</summary>
    Superseded,

    /// <summary>Its replicas are being stopped because the deployment was deleted.</summary>
    Deleting,

    /// <summary>The request was refused: the spec is invalid or cannot be placed. Nothing started.</summary>
    Rejected,

    /// <summary>Its rollout failed; the last revision that ran healthy is being restored in waves.</summary>
    RollingBack,

    /// <summary>Its rollout failed and the last revision that ran healthy runs again; the reason says why.</summary>
    RolledBack,
}
