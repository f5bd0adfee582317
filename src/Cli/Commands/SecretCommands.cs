using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Workers.Contracts.Messages;
using Workers.Contracts.Spec;
using Workers.Functions.Handlers;

namespace Workers.Cli.Commands;

/// <summary>
/// <c>workers secret set NAME</c> (the value from standard input), <c>workers secret list</c> and
/// <c>workers secret rm NAME</c>. A value is sealed to the functions' key before it leaves this process, and no
/// command ever prints one.
/// </summary>
internal static class SecretCommands
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        Converters = { new JsonStringEnumConverter() },
    };

    public static Command Create(CliConsole console) =>
        new("secret", "Set, list and remove secrets that specs refer to as env: { VAR: { secret: NAME } }.")
        {
            Set(console),
            List(console),
            Remove(console),
        };

    private static Command Set(CliConsole console)
    {
        var name = NameArgument();
        var command = new Command("set", "Set a secret's value, read from standard input (one trailing newline is dropped); replaces an existing value.")
        {
            name, ClusterCommands.ServerOption, ClusterCommands.BrokerOption, ClusterCommands.TimeoutOption,
        };
        command.SetAction(async (parsed, token) =>
        {
            var secret = parsed.GetRequiredValue(name);
            if (await NameRefusalAsync(console, parsed, secret) is { } refused)
            {
                return refused;
            }

            // Read before anything is connected to: a value that cannot be taken is the answer whatever is down.
            var value = await ReadValueAsync(console, secret, token);
            if (value.Length == 0)
            {
                return await CommonOptions.FailAsync(console, parsed, ExitCodes.Usage, "secret.empty", $"no value for secret {secret}: pipe it to standard input, as in: printf %s \"$VALUE\" | workers secret set {secret}");
            }

            if (value.Length > SecretsHandler.MaxValueBytes)
            {
                return await CommonOptions.FailAsync(console, parsed, ExitCodes.Usage, "secret.too-large", $"the value of secret {secret} is larger than {SecretsHandler.MaxValueBytes:N0} bytes");
            }

            try
            {
                return await ClusterRunner.RunAsync(console, parsed, token, async (client, _, cancellationToken) =>
                {
                    var reply = await client.SetSecretAsync(secret, value, cancellationToken);
                    if (reply.Outcome == SecretOutcome.Refused)
                    {
                        return await CommonOptions.FailAsync(console, parsed, ExitCodes.Failed, "secret.refused", $"secret {secret} was not set: {reply.Error}");
                    }

                    await console.Out.WriteLineAsync($"secret {secret} {reply.Outcome.ToString().ToLowerInvariant()}");
                    return ExitCodes.Ok;
                });
            }
            finally
            {
                System.Security.Cryptography.CryptographicOperations.ZeroMemory(value);
            }
        });
        return command;
    }

    private static Command List(CliConsole console)
    {
        var format = CommonOptions.Format();
        var command = new Command("list", "List the secrets: names and when each was last set, never a value.") { format, ClusterCommands.ServerOption, ClusterCommands.BrokerOption, ClusterCommands.TimeoutOption };
        command.Aliases.Add("ls");
        command.SetAction((parsed, token) => ClusterRunner.RunAsync(console, parsed, token, async (client, _, cancellationToken) =>
        {
            var reply = await client.ListSecretsAsync(cancellationToken);
            if (CommonOptions.WantsDocument(parsed))
            {
                await CommonOptions.WriteDocumentAsync(console, parsed, reply.Secrets, Json);
                return ExitCodes.Ok;
            }

            if (reply.Secrets.Count == 0)
            {
                await console.Out.WriteLineAsync("no secrets");
                return ExitCodes.Ok;
            }

            await console.Out.WriteLineAsync($"{"NAME",-40} {"UPDATED",-20} CREATED");
            foreach (var s in reply.Secrets)
            {
                await console.Out.WriteLineAsync($"{s.Name,-40} {s.UpdatedAt.ToString("u", CultureInfo.InvariantCulture),-20} {s.CreatedAt.ToString("u", CultureInfo.InvariantCulture)}");
            }

            return ExitCodes.Ok;
        }));
        return command;
    }

    private static Command Remove(CliConsole console)
    {
        var name = NameArgument();
        var command = new Command("rm", "Remove a secret. Running containers keep their value; a replica started later with a spec that refers to it fails.")
        {
            name, ClusterCommands.ServerOption, ClusterCommands.BrokerOption, ClusterCommands.TimeoutOption,
        };
        command.SetAction(async (parsed, token) =>
        {
            var secret = parsed.GetRequiredValue(name);
            return await NameRefusalAsync(console, parsed, secret) ?? await ClusterRunner.RunAsync(console, parsed, token, async (client, _, cancellationToken) =>
            {
                var reply = await client.DeleteSecretAsync(secret, cancellationToken);
                switch (reply.Outcome)
                {
                    case SecretOutcome.Deleted:
                        await console.Out.WriteLineAsync($"secret {secret} removed");
                        return ExitCodes.Ok;
                    case SecretOutcome.NotFound:
                        return await CommonOptions.FailAsync(console, parsed, ExitCodes.Failed, "secret.not-found", $"no secret named {secret}");
                    default:
                        return await CommonOptions.FailAsync(console, parsed, ExitCodes.Failed, "secret.refused", $"secret {secret} was not removed: {reply.Error}");
                }
            });
        });
        return command;
    }

    private static Argument<string> NameArgument() =>
        new("NAME") { Description = "The secret's name: lowercase letters, digits and '-', at most 63 characters." };

    /// <summary>A name that can never be a secret's is a usage error, before anything is read or connected to.</summary>
    private static async Task<int?> NameRefusalAsync(CliConsole console, ParseResult parsed, string name) =>
        SecretName.TryParse(name, out _, out var error)
            ? null
            : await CommonOptions.FailAsync(console, parsed, ExitCodes.Usage, "usage", $"'{name}' is not a secret name: {error}");

    /// <summary>Standard input, at most one byte past the limit, without one trailing newline (<c>\n</c> or <c>\r\n</c>).</summary>
    private static async Task<byte[]> ReadValueAsync(CliConsole console, string name, CancellationToken cancellationToken)
    {
        if (ReferenceEquals(console, CliConsole.System) && !Console.IsInputRedirected)
        {
            await console.Error.WriteLineAsync($"workers: reading the value of secret {name} from standard input; end it with Ctrl+D");
        }

        await using var stream = console.OpenInput();
        var buffer = new byte[SecretsHandler.MaxValueBytes + 3];
        var length = 0;
        int read;
        while (length < buffer.Length && (read = await stream.ReadAsync(buffer.AsMemory(length), cancellationToken)) > 0)
        {
            length += read;
        }

        if (length > 0 && buffer[length - 1] == (byte)'\n')
        {
            length -= length > 1 && buffer[length - 2] == (byte)'\r' ? 2 : 1;
        }

        var value = buffer[..length];
        System.Security.Cryptography.CryptographicOperations.ZeroMemory(buffer);
        return value;
    }
}
