using Workers.Contracts.Messages;

namespace Workers.Intake;

/// <summary>The answer to a secret set or removed over the API: its name and what was done; never its value.</summary>
/// <param name="Name">The secret's name.</param>
/// <param name="Outcome">What was done.</param>
public sealed record SecretAnswer(string Name, SecretOutcome Outcome);
