using System.Diagnostics;
using System.Text.RegularExpressions;

namespace Workers.Integration.Tests;

/// <summary>
/// examples/publisher and examples/subscriber as separate processes (the builds of this test run) against the
/// fixture's RabbitMQ: what another service does with only Workers.Contracts and MassTransit.
/// </summary>
[Collection(IntakeCollection.Name)]
public sealed partial class ExamplesTests(IntakeFixture fixture)
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(90);

    [Fact]
    public async Task Examples_PublisherRequestsADeployment_SubscriberPrintsItsSuccess()
    {
        var name = $"example-{Guid.NewGuid():N}"[..20];
        var spec = Path.Combine(Path.GetTempPath(), $"{name}.yaml");
        await File.WriteAllTextAsync(spec, $"name: {name}\nimage: {TestImages.Workload}\nports:\n  - container: 8080\nresources:\n  memory: 16Mi\n");
        using var subscriber = Start("subscriber", $"examples.subscriber.{name}");
        var lines = new Lines(subscriber);
        try
        {
            await lines.WaitForAsync(l => l == "listening", "the subscriber to start listening");

            using var publisher = Start("publisher", null, spec);
            var printed = await publisher.StandardOutput.ReadToEndAsync();
            await publisher.WaitForExitAsync();
            Assert.True(publisher.ExitCode == 0, $"publisher exited {publisher.ExitCode}: {printed}{await publisher.StandardError.ReadToEndAsync()}");
            var requested = Requested().Match(printed);
            Assert.True(requested.Success, printed);
            var id = Guid.Parse(requested.Groups["id"].Value);

            await lines.WaitForAsync(l => l == $"succeeded {name} {id}", $"the subscriber to print the success of {id}");
        }
        finally
        {
            subscriber.Kill(entireProcessTree: true);
            File.Delete(spec);
            var client = fixture.NewClient();
            await client.DeleteAsync(name, CancellationToken.None);
            await fixture.WaitUntilGoneAsync(client, name, Deadline);
            await Settle.HeartbeatsCaughtUpAsync(fixture);
        }
    }

    private Process Start(string example, string? queue, params string[] arguments)
    {
        var project = example == "publisher" ? "Publisher" : "Subscriber";
        var dll = Builds.Dll(Path.Combine("examples", example), $"Workers.Examples.{project}.dll");
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(dll);
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        // The publisher is a client of Workers (requests only); the subscriber keeps a queue of its own, which a client's
        // rights do not stretch to: an operator would give it a user of its own, the test the administrator.
        var broker = example == "publisher" ? fixture.Broker : fixture.AdminBroker;
        start.Environment["WORKERS_BROKER"] = $"rabbitmq://{Uri.EscapeDataString(broker.Username)}:{Uri.EscapeDataString(broker.Password)}@{broker.Host}:{broker.Port}/";
        if (queue is not null)
        {
            start.Environment["SUBSCRIBER_QUEUE"] = queue;
        }

        return Process.Start(start) ?? throw new InvalidOperationException($"dotnet {dll} did not start");
    }

    [GeneratedRegex(@"^requested (?<name>\S+) (?<id>[0-9a-f-]{36})$", RegexOptions.Multiline)]
    private static partial Regex Requested();

    /// <summary>A process's output lines as they come, awaited with a deadline rather than slept on.</summary>
    private sealed class Lines
    {
        private readonly List<string> _seen = [];
        private readonly Lock _lock = new();
        private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Lines(Process process)
        {
            process.OutputDataReceived += (_, e) =>
            {
                if (e.Data is null)
                {
                    return;
                }

                lock (_lock)
                {
                    _seen.Add(e.Data);
                    _changed.TrySetResult();
                    _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
                }
            };
            process.BeginOutputReadLine();
        }

        public async Task WaitForAsync(Func<string, bool> match, string what)
        {
            using var timeout = new CancellationTokenSource(Deadline);
            while (true)
            {
                Task changed;
                lock (_lock)
                {
                    if (_seen.Any(match))
                    {
                        return;
                    }

                    changed = _changed.Task;
                }

                try
                {
                    await changed.WaitAsync(timeout.Token);
                }
                catch (OperationCanceledException)
                {
                    lock (_lock)
                    {
                        throw new TimeoutException($"{what} did not happen within {Deadline.TotalSeconds:0}s; the process printed: {string.Join(" | ", _seen)}");
                    }
                }
            }
        }
    }
}
