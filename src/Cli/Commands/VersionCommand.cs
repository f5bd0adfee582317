using System.CommandLine;
using Workers.Contracts.Messages;
using Workers.Contracts.Versioning;

namespace Workers.Cli.Commands;

/// <summary>
/// <c>workers version</c>: this CLI's build, the functions' (from the hosts reply, or its header over HTTP) and each
/// host's agent (from its last heartbeat), as <c>kubectl version</c> shows the client's and the server's; on the
/// embedded default the functions are this CLI's own build and the agents are read from the store. <c>--client</c>
/// shows the CLI's alone and connects to nothing.
/// </summary>
internal static class VersionCommand
{
    /// <summary>What is shown for functions or an agent whose build predates the version field.</summary>
    public const string NotReported = "not reported (older than the version field)";

    public static string CliVersion => BuildVersion.Of(typeof(VersionCommand).Assembly);

    private static readonly Option<bool> Client = new("--client") { Description = "Show the CLI's version only, without reaching the functions." };

    public static Command Create(CliConsole console)
    {
        var format = CommonOptions.Format();
        var command = new Command("version", "Show the versions of the CLI, the functions and each host's agent (from its last heartbeat).")
        {
            format, Client, ClusterCommands.ServerOption, ClusterCommands.BrokerOption, ClusterCommands.TimeoutOption,
        };
        command.SetAction(async (parsed, token) =>
        {
            if (parsed.GetValue(Client))
            {
                // A target named beside --client would be accepted and never reached: refused instead.
                var named = new Option[] { ClusterCommands.ServerOption, ClusterCommands.BrokerOption, ClusterCommands.TimeoutOption }
                    .Where(o => parsed.GetResult(o) is { Implicit: false }).Select(o => o.Name).ToList();
                return named.Count > 0
                    ? await CommonOptions.FailAsync(console, parsed, ExitCodes.Usage, "usage", $"--client shows the CLI's version without reaching anything: drop {string.Join(" and ", named)}")
                    : await WriteAsync(console, parsed, null);
            }

            return await ClusterRunner.ReadAsync(console, parsed, token, watch: false, async (reads, cancellationToken) =>
                await WriteAsync(console, parsed, await reads.HostsAsync(cancellationToken)));
        });
        return command;
    }

    private static async Task<int> WriteAsync(CliConsole console, ParseResult parsed, HostsReply? reply)
    {
        var functions = reply is null ? null : reply.FunctionsVersion ?? NotReported;
        var agents = reply?.Hosts.OrderBy(h => h.HostId, StringComparer.Ordinal).Select(h => new { host = h.HostId, version = h.AgentVersion ?? NotReported, live = h.Live }).ToList();
        if (CommonOptions.WantsDocument(parsed))
        {
            await CommonOptions.WriteDocumentAsync(console, parsed, reply is null ? new { cli = CliVersion } : (object)new { cli = CliVersion, functions, agents });
            return ExitCodes.Ok;
        }

        await console.Out.WriteLineAsync($"cli:       {CliVersion}");
        if (reply is null)
        {
            return ExitCodes.Ok;
        }

        await console.Out.WriteLineAsync($"functions: {functions}");
        if (agents!.Count == 0)
        {
            await console.Out.WriteLineAsync("agents:    no host has reported");
            return ExitCodes.Ok;
        }

        var width = agents.Max(a => a.host.Length);
        await console.Out.WriteLineAsync("agents:");
        foreach (var agent in agents)
        {
            await console.Out.WriteLineAsync($"  {agent.host.PadRight(width)}  {agent.version}{(agent.live ? string.Empty : " (not live: its last heartbeat)")}");
        }

        return ExitCodes.Ok;
    }
}
