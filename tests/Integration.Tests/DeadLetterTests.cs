using System.Text;
using RabbitMQ.Client;
using Workers.Transport;

namespace Workers.Integration.Tests;

/// <summary>A forged command on the wire: refused where it is consumed, kept with its reason, and re-drivable.</summary>
[Collection(PipelineCollection.Name)]
public sealed class DeadLetterTests(PipelineFixture fixture)
{
    [Fact]
    public async Task ForgedStartWithInvalidSpec_IsRefusedByTheAgentAndListedAsDeadLetterWithItsReason()
    {
        var name = $"forged-{Guid.NewGuid():N}"[..16];
        var messageId = Guid.NewGuid().ToString();
        await PublishRawAsync(fixture.HostA, messageId, Forged(name));
        var letters = new DeadLetters(fixture.AdminBroker);
        var queue = Queues.Host(fixture.HostA);

        var listed = await Poll.UntilAsync(
            () => letters.ListAsync([queue], CancellationToken.None),
            found => found.Any(l => l.MessageId == messageId),
            TimeSpan.FromSeconds(60),
            "the forged command reaching the error queue");

        var letter = listed.Single(l => l.MessageId == messageId);
        Assert.Equal(queue, letter.Queue);
        Assert.Contains("invalid spec", letter.Reason, StringComparison.Ordinal);
        Assert.Empty(await DockerView.ContainersAsync(fixture.Docker, fixture.HostA, name));

        // Listing leaves it there; replaying sends it round again, and it fails again for the same reason.
        Assert.Contains((await letters.ListAsync([queue], CancellationToken.None)), l => l.MessageId == messageId);
        Assert.Equal(1, await letters.ReplayAsync([queue], messageId, CancellationToken.None));
        await Poll.UntilAsync(
            () => letters.ListAsync([queue], CancellationToken.None),
            found => found.Any(l => l.MessageId == messageId),
            TimeSpan.FromSeconds(60),
            "the replayed command failing back into the error queue");
        Assert.Empty(await DockerView.ContainersAsync(fixture.Docker, fixture.HostA, name));
    }

    private static string Forged(string name) => $$"""
        {
          "messageId": "{{Guid.NewGuid()}}",
          "messageType": ["urn:message:Workers.Contracts.Messages:StartReplicas"],
          "message": {
            "messageId": "{{Guid.NewGuid()}}",
            "correlationId": "{{Guid.NewGuid()}}",
            "timestamp": "{{DateTimeOffset.UtcNow:O}}",
            "hostId": "placeholder",
            "revision": 1,
            "expiresAt": "{{DateTimeOffset.UtcNow.AddMinutes(5):O}}",
            "spec": { "name": "{{name}}", "image": "{{TestImages.Workload}}", "ports": [{ "container": 70000 }] },
            "replicas": [{ "index": 0, "ports": [] }]
          }
        }
        """;

    private async Task PublishRawAsync(string hostId, string messageId, string body)
    {
        await using var connection = await fixture.AdminBroker.ConnectionFactory("it-dead-letters").CreateConnectionAsync();
        await using var channel = await connection.CreateChannelAsync();
        var properties = new BasicProperties { MessageId = messageId, ContentType = "application/vnd.masstransit+json", Persistent = true };
        await channel.BasicPublishAsync(Queues.Host(hostId), string.Empty, false, properties, Encoding.UTF8.GetBytes(body.Replace("placeholder", hostId, StringComparison.Ordinal)));
    }
}
