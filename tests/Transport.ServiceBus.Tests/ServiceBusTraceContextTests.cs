using System.Diagnostics;
using Azure.Messaging.ServiceBus;
using Microsoft.Extensions.Logging.Abstractions;
using Workers.Contracts.Messages;
using Workers.Telemetry;
using Workers.Transport.ServiceBus.Tests.Support;

namespace Workers.Transport.ServiceBus.Tests;

/// <summary>W3C trace context over Service Bus: the sender's span travels in the application properties.</summary>
public sealed class ServiceBusTraceContextTests
{
    private static DeploymentRequested Request() => new(Guid.NewGuid(), Guid.NewGuid(), Messages.Now, "name: web\nimage: nginx:1\n", "web.yaml", "tester");

    [Fact]
    public void Create_InsideASpan_CarriesItsTraceparentAndTracestate()
    {
        using var sender = new Activity("workers deploy").SetIdFormat(ActivityIdFormat.W3C).Start();
        sender.TraceStateString = "vendor=1";

        var message = ServiceBusEnvelope.Create(Request());

        Assert.Equal(sender.Id, message.ApplicationProperties["traceparent"]);
        Assert.Equal("vendor=1", message.ApplicationProperties["tracestate"]);
        Assert.Matches("^00-[0-9a-f]{32}-[0-9a-f]{16}-0[01]$", (string)message.ApplicationProperties["traceparent"]);
    }

    [Fact]
    public void Create_OutsideAnySpan_CarriesNoTraceContext()
    {
        Assert.Null(Activity.Current);

        var message = ServiceBusEnvelope.Create(Request());

        Assert.False(message.ApplicationProperties.ContainsKey("traceparent"));
    }

    [Fact]
    public void TraceParent_ReceivedMessage_IsTheSendersSpanAsARemoteParent()
    {
        ServiceBusMessage sent;
        ActivityContext expected;
        using (var sender = new Activity("workers deploy").SetIdFormat(ActivityIdFormat.W3C).Start())
        {
            sender.ActivityTraceFlags = ActivityTraceFlags.Recorded;
            sent = ServiceBusEnvelope.Create(Request());
            expected = sender.Context;
        }

        var parent = ServiceBusEnvelope.TraceParent(Messages.Received(sent));

        Assert.Equal(expected.TraceId, parent.TraceId);
        Assert.Equal(expected.SpanId, parent.SpanId);
        Assert.Equal(ActivityTraceFlags.Recorded, parent.TraceFlags);
        Assert.True(parent.IsRemote);
    }

    [Theory]
    [InlineData("not a traceparent")]
    [InlineData("00-00000000000000000000000000000000-0000000000000000-01")]
    public void TraceParent_MalformedHeader_IsNoParent(string traceparent)
    {
        var received = ServiceBusModelFactory.ServiceBusReceivedMessage(properties: new Dictionary<string, object> { ["traceparent"] = traceparent });

        Assert.Equal(default, ServiceBusEnvelope.TraceParent(received));
    }

    [Fact]
    public async Task Pump_MessageSentInsideASpan_HandlerRunsInAConsumerSpanOfThatTrace()
    {
        using var listener = new ActivityListener
        {
            ShouldListenTo = s => s.Name == WorkersTelemetry.Name,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
        };
        ActivitySource.AddActivityListener(listener);
        ServiceBusMessage sent;
        ActivityContext sender;
        using (var span = new Activity("workers deploy").SetIdFormat(ActivityIdFormat.W3C).Start())
        {
            sent = ServiceBusEnvelope.Create(Request());
            sender = span.Context;
        }

        Activity? during = null;
        var pump = new ServiceBusPump(new ServiceBusSettings("fake.servicebus.windows.net", maxDeliveries: 3), NullLogger<ServiceBusPump>.Instance);
        await pump.HandleAsync(Messages.Received(sent), new ReceiverSettlement(new FakeReceiver()), (_, _, _) =>
        {
            during = Activity.Current;
            return Task.CompletedTask;
        }, CancellationToken.None);

        Assert.NotNull(during);
        Assert.Equal(WorkersTelemetry.Name, during.Source.Name);
        Assert.Equal(ActivityKind.Consumer, during.Kind);
        Assert.Equal(sender.TraceId, during.TraceId);
        Assert.Equal(sender.SpanId, during.ParentSpanId);
    }
}
