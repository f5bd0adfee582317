using System.Text.Json.Nodes;
using Azure.Messaging.ServiceBus;
using Microsoft.Extensions.Logging.Abstractions;
using Workers.Contracts.Messages;
using Workers.Transport.ServiceBus.Tests.Support;

namespace Workers.Transport.ServiceBus.Tests;

public sealed class ServiceBusPumpTests
{
    private readonly FakeReceiver _receiver = new();
    private readonly ServiceBusPump _pump = new(new ServiceBusSettings("fake.servicebus.windows.net", maxDeliveries: 3), NullLogger<ServiceBusPump>.Instance);
    private readonly List<object> _handled = [];

    private static StartReplicas Start() =>
        new(Guid.NewGuid(), Guid.NewGuid(), Messages.Now, "host-a", 1, Messages.Now.AddMinutes(5), Messages.Spec(), [new ReplicaAssignment(0, [])]);

    private Task<Settlement> HandleAsync(ServiceBusReceivedMessage message, Exception? failure = null, CancellationToken cancellationToken = default) =>
        _pump.HandleAsync(message, new ReceiverSettlement(_receiver), (m, _, _) =>
        {
            _handled.Add(m);
            return failure is null ? Task.CompletedTask : Task.FromException(failure);
        }, cancellationToken);

    [Fact]
    public async Task HandleAsync_HandlerSucceeds_CompletesAfterHandingOverTheTypedMessage()
    {
        var start = Start();

        var settlement = await HandleAsync(Messages.Received(ServiceBusEnvelope.Create(start, "host-a")));

        Assert.Equal(Settlement.Completed, settlement);
        Assert.Equal(start.MessageId, Assert.IsType<StartReplicas>(Assert.Single(_handled)).MessageId);
        Assert.Single(_receiver.Completed);
        Assert.Equal(1, _receiver.Settlements);
    }

    [Fact]
    public async Task HandleAsync_HandlerFailsBeforeTheLastDelivery_AbandonsWithTheErrorType()
    {
        var message = Messages.Received(ServiceBusEnvelope.Create(Start(), "host-a"), deliveryCount: 2);

        var settlement = await HandleAsync(message, new TimeoutException("docker is slow"));

        Assert.Equal(Settlement.Abandoned, settlement);
        var (abandoned, properties) = Assert.Single(_receiver.Abandoned);
        Assert.Same(message, abandoned);
        Assert.Equal(typeof(TimeoutException).FullName, properties!["lastError"]);
        Assert.Equal(1, _receiver.Settlements);
    }

    [Fact]
    public async Task HandleAsync_HandlerFailsOnTheLastAllowedDelivery_DeadLettersWithTheFailure()
    {
        var settlement = await HandleAsync(Messages.Received(ServiceBusEnvelope.Create(Start(), "host-a"), deliveryCount: 3), new TimeoutException("docker is slow"));

        Assert.Equal(Settlement.DeadLettered, settlement);
        var (_, reason, description) = Assert.Single(_receiver.DeadLettered);
        Assert.Equal(DeadLetterReasons.HandlerFailed, reason);
        Assert.Contains("docker is slow", description, StringComparison.Ordinal);
        Assert.Equal(1, _receiver.Settlements);
    }

    [Fact]
    public async Task HandleAsync_DeliveredMoreThanTheMaximum_DeadLettersWithoutCallingTheHandler()
    {
        var settlement = await HandleAsync(Messages.Received(ServiceBusEnvelope.Create(Start(), "host-a"), deliveryCount: 4));

        Assert.Equal(Settlement.DeadLettered, settlement);
        Assert.Empty(_handled);
        var (_, reason, description) = Assert.Single(_receiver.DeadLettered);
        Assert.Equal(DeadLetterReasons.MaxDeliveriesExceeded, reason);
        Assert.Contains("4 times", description, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("{not json", "Workers.Contracts.Messages.StopReplicas", "application/json", DeadLetterReasons.MalformedBody)]
    [InlineData("null", "Workers.Contracts.Messages.StopReplicas", "application/json", DeadLetterReasons.MalformedBody)]
    [InlineData("{}", "Workers.Contracts.Messages.StopReplicas", "application/json", DeadLetterReasons.MalformedBody)]
    [InlineData("{}", "System.IO.FileInfo", "application/json", DeadLetterReasons.UnknownMessageType)]
    [InlineData("{}", "Workers.Contracts.Messages.ReplicaAssignment", "application/json", DeadLetterReasons.UnknownMessageType)]
    [InlineData("{}", null, "application/json", DeadLetterReasons.UnknownMessageType)]
    [InlineData("{}", "Workers.Contracts.Messages.StopReplicas", "application/xml", DeadLetterReasons.UnsupportedContentType)]
    [InlineData("{}", "Workers.Contracts.Messages.StopReplicas", null, DeadLetterReasons.UnsupportedContentType)]
    public async Task HandleAsync_NotAWorkersMessage_DeadLettersWithAReasonWithoutCallingTheHandler(string body, string? messageType, string? contentType, string expectedReason)
    {
        var settlement = await HandleAsync(Messages.Received(body, messageType, contentType));

        Assert.Equal(Settlement.DeadLettered, settlement);
        Assert.Empty(_handled);
        var (_, reason, description) = Assert.Single(_receiver.DeadLettered);
        Assert.Equal(expectedReason, reason);
        Assert.False(string.IsNullOrWhiteSpace(description));
    }

    [Fact]
    public async Task HandleAsync_ForgedStartReplicasWithAnInvalidSpec_DeadLettersWithTheSpecProblemAndNeverReachesTheHandler()
    {
        var sent = ServiceBusEnvelope.Create(Start(), "host-a");
        var body = JsonNode.Parse(sent.Body.ToString())!;
        body["spec"]!["replicas"] = -1;
        body["spec"]!["image"] = "UPPER CASE/not an image";
        var forged = Messages.Received(sent, body: BinaryData.FromString(body.ToJsonString()));

        var settlement = await HandleAsync(forged);

        Assert.Equal(Settlement.DeadLettered, settlement);
        Assert.Empty(_handled);
        var (_, reason, description) = Assert.Single(_receiver.DeadLettered);
        Assert.Equal(DeadLetterReasons.MalformedBody, reason);
        Assert.Contains("invalid spec", description, StringComparison.Ordinal);
    }

    [Fact]
    public async Task HandleAsync_StartReplicasWithoutItsSpec_DeadLettersInsteadOfHandingOverANullSpec()
    {
        var sent = ServiceBusEnvelope.Create(Start(), "host-a");
        var body = JsonNode.Parse(sent.Body.ToString())!.AsObject();
        body.Remove("spec");

        var settlement = await HandleAsync(Messages.Received(sent, body: BinaryData.FromString(body.ToJsonString())));

        Assert.Equal(Settlement.DeadLettered, settlement);
        Assert.Empty(_handled);
    }

    [Fact]
    public async Task HandleAsync_HandlerHasNoRouteForTheType_DeadLettersAtOnce()
    {
        var message = Messages.Received(ServiceBusEnvelope.Create(Start(), "host-a"));

        var settlement = await HandleAsync(message, new MessageNotHandledException(typeof(StartReplicas)));

        Assert.Equal(Settlement.DeadLettered, settlement);
        Assert.Equal(DeadLetterReasons.NoHandler, Assert.Single(_receiver.DeadLettered).Reason);
    }

    [Fact]
    public async Task HandleAsync_CancelledWhileHandling_AbandonsWithoutCountingItAFailure()
    {
        using var cancellation = new CancellationTokenSource();
        await cancellation.CancelAsync();

        var settlement = await HandleAsync(Messages.Received(ServiceBusEnvelope.Create(Start(), "host-a"), deliveryCount: 3), new OperationCanceledException(cancellation.Token), cancellation.Token);

        Assert.Equal(Settlement.Abandoned, settlement);
        Assert.Empty(_receiver.DeadLettered);
        Assert.DoesNotContain("lastError", Assert.Single(_receiver.Abandoned).Properties!.Keys);
    }

    [Fact]
    public async Task HandleAsync_ThroughProcessorEventArgs_SettlesOnTheReceiver()
    {
        var message = Messages.Received(ServiceBusEnvelope.Create(new GetHosts(Guid.NewGuid(), Guid.NewGuid(), Messages.Now)));
        var args = new ProcessMessageEventArgs(message, _receiver, CancellationToken.None);

        var settlement = await _pump.HandleAsync(message, new ProcessorSettlement(args), (_, _, _) => Task.CompletedTask, CancellationToken.None);

        Assert.Equal(Settlement.Completed, settlement);
        Assert.Same(message, Assert.Single(_receiver.Completed));
    }

    [Fact]
    public async Task HandleAsync_MalformedThroughProcessorEventArgs_DeadLettersWithReasonOnTheReceiver()
    {
        var message = Messages.Received("[]", typeof(GetHosts).FullName);
        var args = new ProcessMessageEventArgs(message, _receiver, CancellationToken.None);

        await _pump.HandleAsync(message, new ProcessorSettlement(args), (_, _, _) => Task.CompletedTask, CancellationToken.None);

        Assert.Equal(DeadLetterReasons.MalformedBody, Assert.Single(_receiver.DeadLettered).Reason);
    }
}
