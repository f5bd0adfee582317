using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Workers.Contracts.Messages;
using Workers.Contracts.Spec;
using Workers.Functions.Store;
using Workers.Security;

namespace Workers.Functions.Handlers;

/// <summary>
/// <c>workers secret set / list / rm</c> and <c>/api/secrets</c>: stores values encrypted, lists names and dates,
/// deletes. A value set over the bus arrives sealed to the functions' sealing key (<see cref="GetSealingKey"/> hands out
/// its public half) and is opened here only to be encrypted again for the store. No value is ever logged or answered.
/// </summary>
public sealed partial class SecretsHandler(
    ISecretStore secrets,
    [FromKeyedServices(SecretsHandler.SealingKeyService)] SealingKey sealing,
    TimeProvider time,
    ILogger<SecretsHandler> logger)
{
    /// <summary>The service key of the functions' <see cref="SealingKey"/> (an agent in the same process has its own).</summary>
    public const string SealingKeyService = "workers.functions.sealing";

    /// <summary>The largest value a secret may have: 64 KiB, well within what a container's environment takes.</summary>
    public const int MaxValueBytes = 64 * 1024;

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    public Task<SealingKeyReply> HandleAsync(GetSealingKey request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        return Task.FromResult(new SealingKeyReply(Guid.NewGuid(), request.CorrelationId, time.GetUtcNow(), sealing.PublicKey));
    }

    public async Task<SecretReply> HandleAsync(SetSecret request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (!SecretName.TryParse(request.Name, out var name, out var error))
        {
            return Refuse(request.CorrelationId, request.Name, $"'{request.Name}' is not a secret name: {error}");
        }

        byte[] value;
        try
        {
            value = sealing.Open(request.SealedValue, SealingContexts.SetSecret(name.Value));
        }
        catch (Exception e) when (e is CryptographicException or FormatException or ArgumentException)
        {
            // Sealed to another key (the functions' key changed since the client asked for it) or for another name.
            return Refuse(request.CorrelationId, name.Value, "the value does not open with the functions' sealing key for this name: ask for the key again (GetSealingKey) and seal it to that");
        }

        try
        {
            return await SetAsync(request.CorrelationId, name, value, request.RequestedBy, cancellationToken);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(value);
        }
    }

    /// <summary>Stores a value that arrived in clear inside the functions' own process (the HTTP API, over its TLS).</summary>
    public async Task<SecretReply> SetAsync(Guid correlationId, string name, ReadOnlyMemory<byte> value, string requestedBy, CancellationToken cancellationToken)
    {
        return SecretName.TryParse(name, out var secret, out var error)
            ? await SetAsync(correlationId, secret, value, requestedBy, cancellationToken)
            : Refuse(correlationId, name, $"'{name}' is not a secret name: {error}");
    }

    public async Task<SecretReply> HandleAsync(DeleteSecret request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        return await DeleteAsync(request.CorrelationId, request.Name, request.RequestedBy, cancellationToken);
    }

    /// <summary>Deletes a secret: <see cref="SecretOutcome.Deleted"/>, or <see cref="SecretOutcome.NotFound"/>.</summary>
    public async Task<SecretReply> DeleteAsync(Guid correlationId, string name, string requestedBy, CancellationToken cancellationToken)
    {
        if (!SecretName.TryParse(name, out var secret, out var error))
        {
            return Refuse(correlationId, name, $"'{name}' is not a secret name: {error}");
        }

        var deleted = await secrets.DeleteAsync(secret, cancellationToken);
        var outcome = deleted ? SecretOutcome.Deleted : SecretOutcome.NotFound;
        Changed(logger, secret.Value, outcome, requestedBy);
        return new SecretReply(Guid.NewGuid(), correlationId, time.GetUtcNow(), secret.Value, outcome);
    }

    public async Task<SecretsReply> HandleAsync(ListSecrets request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        return new SecretsReply(Guid.NewGuid(), request.CorrelationId, time.GetUtcNow(), await secrets.ListAsync(cancellationToken));
    }

    private async Task<SecretReply> SetAsync(Guid correlationId, SecretName name, ReadOnlyMemory<byte> value, string requestedBy, CancellationToken cancellationToken)
    {
        if (ValueRefusal(value.Span) is { } refusal)
        {
            return Refuse(correlationId, name.Value, refusal);
        }

        SecretOutcome outcome;
        try
        {
            outcome = await secrets.SetAsync(name, value, time.GetUtcNow(), cancellationToken);
        }
        catch (SecretsKeyException e)
        {
            return Refuse(correlationId, name.Value, e.Message);
        }

        Changed(logger, name.Value, outcome, requestedBy);
        return new SecretReply(Guid.NewGuid(), correlationId, time.GetUtcNow(), name.Value, outcome);
    }

    /// <summary>A value goes into a container's environment: text, no NUL, not too large. The reason never quotes it.</summary>
    private static string? ValueRefusal(ReadOnlySpan<byte> value)
    {
        if (value.Length > MaxValueBytes)
        {
            return $"the value is larger than {MaxValueBytes:N0} bytes";
        }

        if (value.Contains((byte)0))
        {
            return "the value holds a NUL byte, which no environment variable can";
        }

        try
        {
            _ = StrictUtf8.GetCharCount(value);
            return null;
        }
        catch (DecoderFallbackException)
        {
            return "the value is not UTF-8 text";
        }
    }

    private SecretReply Refuse(Guid correlationId, string name, string error)
    {
        Refused(logger, name, error);
        return new SecretReply(Guid.NewGuid(), correlationId, time.GetUtcNow(), name, SecretOutcome.Refused, error);
    }

    [LoggerMessage(72, LogLevel.Information, "Secret {Secret} {Outcome} (requested by {RequestedBy})")]
    private static partial void Changed(ILogger logger, string secret, SecretOutcome outcome, string requestedBy);

    [LoggerMessage(73, LogLevel.Warning, "Refused to set or delete secret {Secret}: {Reason}")]
    private static partial void Refused(ILogger logger, string secret, string reason);
}
