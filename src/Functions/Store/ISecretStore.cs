using Workers.Contracts.Messages;
using Workers.Contracts.Spec;

namespace Workers.Functions.Store;

/// <summary>
/// Secrets, encrypted at rest: values go in and come out only through here, and only the functions ever read one (to
/// seal it to the agent that starts a container). Names, dates and existence need no key; values do.
/// </summary>
public interface ISecretStore
{
    /// <summary>Encrypts and stores <paramref name="value"/> as <paramref name="name"/>: <see cref="SecretOutcome.Created"/> or <see cref="SecretOutcome.Updated"/>.</summary>
    /// <exception cref="SecretsKeyException">There is no key to encrypt with.</exception>
    Task<SecretOutcome> SetAsync(SecretName name, ReadOnlyMemory<byte> value, DateTimeOffset at, CancellationToken cancellationToken);

    /// <summary>Deletes a secret; false when there was none of that name.</summary>
    Task<bool> DeleteAsync(SecretName name, CancellationToken cancellationToken);

    /// <summary>Every secret's name and dates, by name; never a value.</summary>
    Task<IReadOnlyList<SecretSummary>> ListAsync(CancellationToken cancellationToken);

    /// <summary>Which of <paramref name="names"/> exist.</summary>
    Task<IReadOnlySet<SecretName>> ExistingAsync(IEnumerable<SecretName> names, CancellationToken cancellationToken);

    /// <summary>The decrypted values of those of <paramref name="names"/> that exist.</summary>
    /// <exception cref="SecretsKeyException">A value does not open with the key (or there is none).</exception>
    Task<IReadOnlyDictionary<SecretName, byte[]>> RevealAsync(IEnumerable<SecretName> names, CancellationToken cancellationToken);

    /// <summary>
    /// Refuses to go on when secrets are stored that the key cannot open: none at all, or another key than theirs.
    /// Run at start-up, after the schema is up to date.
    /// </summary>
    /// <exception cref="SecretsKeyException">Why, in one line.</exception>
    Task CheckKeyAsync(CancellationToken cancellationToken);
}
