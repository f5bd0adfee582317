using Microsoft.Extensions.Logging;
using Workers.Contracts.Messages;
using Workers.Contracts.Spec;
using Workers.Functions.Store;
using Workers.Security;

namespace Workers.Functions.Handlers;

/// <summary>
/// Gives each start command whose spec refers to secrets their values, each sealed to the agent sealing key of the host
/// the command goes to (from its heartbeat: the key pinned with its identity) and bound to the deployment, revision and
/// variable, so that only that agent opens it and only for that variable. The handlers that make start commands (plan,
/// track, sweep, inventory) pass their effects through here before they are sent. A value that cannot be sealed (the
/// secret was deleted, the host sends no key, the key for secrets at rest is wrong) is left out, and the agent fails
/// that replica saying which variable it lacks; the reason is logged here, by name only.
/// </summary>
public sealed partial class SecretSealer(ISecretStore secrets, IDeploymentStore store, ILogger<SecretSealer> logger)
{
    public async Task<Effects> SealAsync(Effects effects, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(effects);
        var starts = effects.Sent
            .Select((sent, index) => (Index: index, Command: sent.Command as StartReplicas))
            .Where(s => s.Command is { SealedEnv: null, Spec.SecretEnv.Count: > 0 })
            .ToList();
        if (starts.Count == 0)
        {
            return effects;
        }

        var keys = (await store.GetHostsAsync(cancellationToken)).ToDictionary(h => h.Heartbeat.HostId, h => h.Heartbeat.Identity?.SealingKey, StringComparer.Ordinal);
        IReadOnlyDictionary<SecretName, byte[]> values;
        try
        {
            values = await secrets.RevealAsync(starts.SelectMany(s => s.Command!.Spec.SecretEnv.Values), cancellationToken);
        }
        catch (SecretsKeyException e)
        {
            Unopened(logger, e.Message);
            values = new Dictionary<SecretName, byte[]>();
        }

        foreach (var (index, start) in starts)
        {
            var spec = start!.Spec;
            var key = keys.GetValueOrDefault(start.HostId);
            var sealedEnv = new SortedDictionary<string, string>(StringComparer.Ordinal);
            foreach (var (variable, secret) in spec.SecretEnv)
            {
                if (key is null)
                {
                    NotSealed(logger, spec.Name.Value, start.Revision, variable, secret.Value, start.HostId, "the host's agent sends no sealing key");
                }
                else if (!values.TryGetValue(secret, out var value))
                {
                    NotSealed(logger, spec.Name.Value, start.Revision, variable, secret.Value, start.HostId, "the secret does not exist or could not be opened");
                }
                else if (Seal(key, value, SealingContexts.EnvValue(spec.Name.Value, start.Revision, variable)) is { } sealedValue)
                {
                    sealedEnv[variable] = sealedValue;
                }
                else
                {
                    NotSealed(logger, spec.Name.Value, start.Revision, variable, secret.Value, start.HostId, "the host's agent sealing key is not an ECDH P-256 public key");
                }
            }

            effects.ReplaceSent(index, start with { SealedEnv = sealedEnv });
        }

        foreach (var value in values.Values)
        {
            System.Security.Cryptography.CryptographicOperations.ZeroMemory(value);
        }

        return effects;
    }

    /// <summary>The sealed value, or null when <paramref name="key"/> is not a key one can seal to (a heartbeat's identity is taken as sent).</summary>
    private static string? Seal(string key, byte[] value, string context)
    {
        try
        {
            return SealingKey.Seal(key, value, context);
        }
        catch (Exception e) when (e is FormatException or ArgumentException or System.Security.Cryptography.CryptographicException)
        {
            return null;
        }
    }

    [LoggerMessage(70, LogLevel.Warning, "The start command for {Deployment} r{Revision} on {HostId} carries no value for {Variable} (secret {Secret}): {Reason}; the agent fails the replica")]
    private static partial void NotSealed(ILogger logger, string deployment, long revision, string variable, string secret, string hostId, string reason);

    [LoggerMessage(71, LogLevel.Error, "The secrets of start commands could not be opened: {Reason}")]
    private static partial void Unopened(ILogger logger, string reason);
}
