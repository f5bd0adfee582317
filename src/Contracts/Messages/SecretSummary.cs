namespace Workers.Contracts.Messages;

/// <summary>What may be told of a secret: its name and when it was made and last set. Never its value.</summary>
/// <param name="Name">The secret's name.</param>
/// <param name="CreatedAt">When it was first set.</param>
/// <param name="UpdatedAt">When its value was last set.</param>
public sealed record SecretSummary(string Name, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt);
