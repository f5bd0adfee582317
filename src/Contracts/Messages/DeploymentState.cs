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
}
