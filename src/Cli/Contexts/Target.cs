using System.CommandLine;
using Workers.Cli.Commands;

namespace Workers.Cli.Contexts;

/// <summary>
/// Where a command goes: a Workers server's HTTP API, a broker, or the embedded default. Chosen as kubectl and nomad
/// choose: a flag (<c>--server</c>, <c>--broker</c>), else the environment (<c>WORKERS_SERVER</c>,
/// <c>WORKERS_BROKER</c>), else the current context, else the embedded default.
/// </summary>
internal abstract record Target
{
    /// <summary>The HTTP API at <paramref name="Address"/>; <paramref name="FallBackToEmbedded"/> for the context <c>workers serve</c> wrote.</summary>
    public sealed record Server(Uri Address, string? Token, bool FallBackToEmbedded) : Target;

    /// <summary>A broker (<c>rabbitmq://…</c>, <c>servicebus://…</c>), or the embedded default when the setting is null or <c>memory</c>.</summary>
    public sealed record Bus(string? Broker) : Target
    {
        /// <summary>Whether the setting names the in-memory bus (or nothing): the embedded default.</summary>
        public bool Embedded => Transport.Broker.TryParse(Broker, out var broker, out _) && broker.IsInMemory;
    }

    /// <summary>What <paramref name="parsed"/>, the environment and the config file say, or the usage error they make.</summary>
    public static Target Resolve(ParseResult parsed) =>
        Resolve(parsed.GetValue(ClusterCommands.ServerOption), parsed.GetValue(ClusterCommands.BrokerOption), Environment.GetEnvironmentVariable);

    public static Target Resolve(string? serverFlag, string? brokerFlag, Func<string, string?> environment)
    {
        if (serverFlag is not null && brokerFlag is not null)
        {
            throw new CliFailure(ExitCodes.Usage, "usage", "give --server or --broker, not both");
        }

        var token = environment("WORKERS_TOKEN") is { Length: > 0 } fromEnvironment ? fromEnvironment : null;
        if (serverFlag is not null)
        {
            return new Server(ParseAddress(serverFlag, "--server"), token, false);
        }

        if (brokerFlag is not null)
        {
            return new Bus(brokerFlag);
        }

        var serverVariable = environment("WORKERS_SERVER") is { Length: > 0 } s ? s : null;
        var brokerVariable = environment("WORKERS_BROKER") is { Length: > 0 } b ? b : null;
        if (serverVariable is not null && brokerVariable is not null)
        {
            throw new CliFailure(ExitCodes.Usage, "usage", "WORKERS_SERVER and WORKERS_BROKER are both set: unset one, or choose with --server or --broker");
        }

        if (serverVariable is not null)
        {
            return new Server(ParseAddress(serverVariable, "WORKERS_SERVER"), token, false);
        }

        if (brokerVariable is not null)
        {
            // Checked here, where its source is known: the message names the variable (never the password).
            return Transport.ServiceBus.ServiceBusSettings.IsServiceBus(brokerVariable) || Transport.Broker.TryParse(brokerVariable, out _, out var brokerError)
                ? new Bus(brokerVariable)
                : throw new CliFailure(ExitCodes.Usage, "usage", $"WORKERS_BROKER: {brokerError}");
        }

        var path = CliConfig.PathFromEnvironment();
        var config = CliConfig.Load(path);
        if (config.CurrentContext is not { } current)
        {
            return new Bus(null);
        }

        if (config.Find(current) is not { } context)
        {
            throw new CliFailure(ExitCodes.Usage, "config.invalid", $"{path}: the current context '{current}' is not one of its contexts; 'workers context use NAME' chooses another");
        }

        return context.Server is { } server
            ? new Server(ParseAddress(server, $"context '{current}'"), token ?? context.Token, context.Serve)
            : new Bus(context.Broker);
    }

    private static Uri ParseAddress(string text, string where) =>
        ServerAddress.TryParse(text, out var address, out var error) ? address : throw new CliFailure(ExitCodes.Usage, "usage", $"{where}: {error}");
}
