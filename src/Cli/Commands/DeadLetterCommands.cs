using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Workers.Cli.Contexts;
using Workers.Transport;

namespace Workers.Cli.Commands;

/// <summary><c>workers dead-letters list|replay</c>: what the retries gave up on, and sending it round again.</summary>
internal static class DeadLetterCommands
{
    private static readonly string[] FunctionQueues = [Queues.Validate, Queues.Plan, Queues.Track, Queues.Inventory, Queues.Delete, Queues.Query];

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    public static Command Create(CliConsole console)
    {
        var queue = new Option<string?>("--queue") { Description = "Only this queue (e.g. workers.plan or host.host-a); default: every Workers queue." };
        var format = CommonOptions.Format();
        var list = new Command("list", "List the messages in the error queues, with the reason each failed.") { ClusterCommands.ServerOption, ClusterCommands.BrokerOption, queue, format };
        list.SetAction((parsed, token) => RunAsync(console, parsed, async (letters, queues, cancellationToken) =>
        {
            var found = await letters.ListAsync(queues(parsed.GetValue(queue)), cancellationToken);
            if (CommonOptions.WantsDocument(parsed))
            {
                await CommonOptions.WriteDocumentAsync(console, parsed, found, Json);
                return ExitCodes.Ok;
            }

            foreach (var letter in found)
            {
                await console.Out.WriteLineAsync(
                    $"{letter.Queue}\t{letter.MessageId}\t{letter.MessageType}\t{letter.FaultedAt?.ToString("u", CultureInfo.InvariantCulture)}\t{letter.Reason}");
            }

            await console.Error.WriteLineAsync($"{found.Count} dead letter(s)");
            return ExitCodes.Ok;
        }, token));

        var id = new Option<string?>("--id") { Description = "Only the message with this id; default: all." };
        var replay = new Command("replay", "Move error-queue messages back to their queue to be processed again.") { ClusterCommands.ServerOption, ClusterCommands.BrokerOption, queue, id };
        replay.SetAction((parsed, token) => RunAsync(console, parsed, async (letters, queues, cancellationToken) =>
        {
            var moved = await letters.ReplayAsync(queues(parsed.GetValue(queue)), parsed.GetValue(id), cancellationToken);
            await console.Out.WriteLineAsync($"{moved} message(s) replayed");
            return parsed.GetValue(id) is not null && moved == 0 ? ExitCodes.Failed : ExitCodes.Ok;
        }, token));

        return new Command("dead-letters", "Inspect and re-drive messages that failed after their retries.") { list, replay };
    }

    private static async Task<int> RunAsync(
        CliConsole console,
        ParseResult parsed,
        Func<DeadLetters, Func<string?, IEnumerable<string>>, CancellationToken, Task<int>> action,
        CancellationToken token)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(token);
        deadline.CancelAfter(TimeSpan.FromSeconds(60));
        try
        {
            // A server does not answer this: the error queues are read with broker credentials, which its API tokens do
            // not stand for, and the functions' own broker user may not read the hosts' queues. A usage error, not 3:
            // asking the same server again cannot succeed.
            var target = Target.Resolve(parsed);
            if (target is Target.Server server)
            {
                throw new CliFailure(ExitCodes.Usage, "usage", $"dead letters are read from RabbitMQ with its credentials, not through the Workers server at {server.Address.GetLeftPart(UriPartial.Authority)}: give --broker rabbitmq://USER:PASSWORD@HOST:5672/ (a user that may read the *_error queues), or set WORKERS_BROKER");
            }

            var brokerSetting = ((Target.Bus)target).Broker;
            var broker = Connection.ParseBroker(brokerSetting);
            if (broker.IsInMemory)
            {
                throw new CliFailure(ExitCodes.Unavailable, "broker.none", "dead letters are kept by RabbitMQ: give --broker or set WORKERS_BROKER");
            }

            var logging = CliLogging.From(parsed.GetValue(CommonOptions.Verbose), Environment.GetEnvironmentVariable(CliLogging.Variable));
            string[] hosts;
            await using (var connection = await Connection.OpenAsync(brokerSetting, logging, console.Error, Preflight.LimitFor(TimeSpan.FromSeconds(60)), deadline.Token))
            {
                hosts = [.. (await new WorkersClient(connection.Bus, TimeSpan.FromSeconds(10)).HostsAsync(deadline.Token)).Hosts.Select(h => Queues.Host(h.HostId))];
            }

            return await action(new DeadLetters(broker), only => only is null ? FunctionQueues.Concat(hosts) : [only], deadline.Token);
        }
        catch (CliFailure e)
        {
            return await CommonOptions.FailAsync(console, parsed, e.ExitCode, e.Code, e.Message, e);
        }
        catch (OperationCanceledException e) when (deadline.IsCancellationRequested && !token.IsCancellationRequested)
        {
            return await CommonOptions.FailAsync(console, parsed, ExitCodes.Unavailable, "timeout", "gave up after 60s", e);
        }
        catch (WorkersUnavailableException e)
        {
            return await CommonOptions.FailAsync(console, parsed, ExitCodes.Unavailable, "functions.unavailable", e.Message, e);
        }
        catch (RabbitMQ.Client.Exceptions.BrokerUnreachableException e)
        {
            return await CommonOptions.FailAsync(console, parsed, ExitCodes.Unavailable, "broker.unreachable", $"lost the broker: {e.Message.ReplaceLineEndings(" ")}", e);
        }
    }
}
