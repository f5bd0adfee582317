namespace Workers.Contracts.Messages;

/// <summary>Someone asks for a deployment. The spec is still raw text: the Validate function decides whether it is one.</summary>
/// <param name="MessageId">Unique per message.</param>
/// <param name="CorrelationId">The deployment id, chosen by the sender so that a resend is recognised as the same request.</param>
/// <param name="Timestamp">When the request was made.</param>
/// <param name="SpecText">The spec document, YAML or JSON, at most 1 MiB.</param>
/// <param name="Source">The file name the spec came from, used in problem reports.</param>
/// <param name="RequestedBy">Who asked (a user, a webhook, a service), for the record.</param>
public sealed record DeploymentRequested(Guid MessageId, Guid CorrelationId, DateTimeOffset Timestamp, string SpecText, string Source, string RequestedBy);
