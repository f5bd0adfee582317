using Microsoft.Extensions.Logging;
using Workers.Intake.Security;

namespace Workers.Intake;

/// <summary>The intake's log events. Neither secrets, tokens nor request bodies are ever logged.</summary>
internal static partial class IntakeLog
{
    [LoggerMessage(EventId = 4001, Level = LogLevel.Warning, Message = "{Webhook} delivery {DeliveryId} refused: signature {Reason}")]
    public static partial void WebhookRefused(ILogger logger, string webhook, string? deliveryId, SignatureCheck reason);

    [LoggerMessage(EventId = 4002, Level = LogLevel.Warning, Message = "API request refused: bearer token {Reason}")]
    public static partial void TokenRefused(ILogger logger, TokenCheck reason);

    [LoggerMessage(EventId = 4003, Level = LogLevel.Information, Message = "Deployment {DeploymentId} of {Name} ({Image}) requested by {RequestedBy}")]
    public static partial void DeploymentRequested(ILogger logger, Guid deploymentId, string name, string image, string requestedBy);

    [LoggerMessage(EventId = 4004, Level = LogLevel.Information, Message = "{Webhook} delivery {DeliveryId} was acted on before; ignored")]
    public static partial void DuplicateDelivery(ILogger logger, string webhook, string deliveryId);

    [LoggerMessage(EventId = 4005, Level = LogLevel.Information, Message = "{Webhook} delivery {DeliveryId} deploys nothing: {Reason}")]
    public static partial void NothingToDeploy(ILogger logger, string webhook, string? deliveryId, string reason);

    [LoggerMessage(EventId = 4006, Level = LogLevel.Information, Message = "Deletion {RequestId} of {Name} requested by {RequestedBy}")]
    public static partial void DeletionRequested(ILogger logger, Guid requestId, string name, string requestedBy);

    [LoggerMessage(EventId = 4007, Level = LogLevel.Warning, Message = "{Webhook} delivery {DeliveryId} would deploy an invalid spec: {Problems}")]
    public static partial void InvalidRendering(ILogger logger, string webhook, string? deliveryId, string problems);

    [LoggerMessage(EventId = 4008, Level = LogLevel.Warning, Message = "The broker did not take {Message} for {Name}; answered 503")]
    public static partial void PublishFailed(ILogger logger, Exception exception, string message, string name);
}
