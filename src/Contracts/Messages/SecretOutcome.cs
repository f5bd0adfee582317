namespace Workers.Contracts.Messages;

/// <summary>What a <see cref="SetSecret"/> or <see cref="DeleteSecret"/> did.</summary>
public enum SecretOutcome
{
    /// <summary>The secret did not exist and was set.</summary>
    Created,

    /// <summary>The secret existed and its value was replaced.</summary>
    Updated,

    /// <summary>The secret was deleted.</summary>
    Deleted,

    /// <summary>There is no secret of that name: nothing was deleted.</summary>
    NotFound,

    /// <summary>Nothing was done; the reply's error says why (an invalid name, no key to encrypt with, a value that did not open).</summary>
    Refused,
}
