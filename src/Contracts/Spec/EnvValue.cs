using System.Diagnostics.CodeAnalysis;

namespace Workers.Contracts.Spec;

/// <summary>
/// The value of one environment variable: either literal text, or a reference to a secret by name
/// (<c>{ secret: db-password }</c>), whose value only the agent that starts the container ever sees.
/// </summary>
public sealed record EnvValue
{
    private EnvValue(string? literal, SecretName? secret) => (Literal, Secret) = (literal, secret);

    /// <summary>The text, for a literal value; null for a secret reference.</summary>
    public string? Literal { get; }

    /// <summary>The secret referred to; null for a literal value.</summary>
    public SecretName? Secret { get; }

    /// <summary>True for a secret reference (<see cref="Secret"/> is set), false for a literal (<see cref="Literal"/> is set).</summary>
    [MemberNotNullWhen(true, nameof(Secret))]
    [MemberNotNullWhen(false, nameof(Literal))]
    public bool IsSecret => Secret is not null;

    /// <summary>A literal value.</summary>
    /// <param name="text">The text, empty allowed.</param>
    public static EnvValue Of(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return new EnvValue(text, null);
    }

    /// <summary>A reference to a secret.</summary>
    /// <param name="name">The secret's name.</param>
    public static EnvValue FromSecret(SecretName name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return new EnvValue(null, name);
    }

    /// <summary>The literal text, or <c>{ secret: NAME }</c> for a reference (never a secret's value: the spec has none).</summary>
    public override string ToString() => IsSecret ? $"{{ secret: {Secret} }}" : Literal;
}
