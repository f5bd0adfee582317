using System.Text.Json;
using System.Text.Json.Nodes;
using Workers.Contracts.Messages;
using Workers.Contracts.Spec;
using Workers.Transport.ServiceBus.Tests.Support;

namespace Workers.Transport.ServiceBus.Tests;

public sealed class ServiceBusEnvelopeTests
{
    public static TheoryData<string> ContractNames() => [.. ServiceBusEnvelope.Contracts.Keys.Order(StringComparer.Ordinal)];

    [Fact]
    public void Contracts_EveryRoutedMessageAndHostCommand_IsKnown()
    {
        var routed = ServiceBusTopology.FunctionSubscriptions.Values.SelectMany(t => t).Append(typeof(StartReplicas)).Append(typeof(StopReplicas));

        Assert.All(routed, t => Assert.Contains(t.FullName!, ServiceBusEnvelope.Contracts.Keys));
        Assert.DoesNotContain(typeof(ReplicaAssignment).FullName!, ServiceBusEnvelope.Contracts.Keys);
    }

    [Theory]
    [MemberData(nameof(ContractNames))]
    public void CreateThenRead_EveryContract_ComesBackAsTheSameTypeAndJson(string typeName)
    {
        var type = ServiceBusEnvelope.Contracts[typeName].Type;
        var original = Messages.Sample(type);

        var read = ServiceBusEnvelope.Read(Messages.Received(ServiceBusEnvelope.Create(original)));

        Assert.Null(read.Reason);
        Assert.IsType(type, read.Message);
        Assert.Equal(Json(original, type), Json(read.Message!, type));
    }

    [Fact]
    public void Contracts_AreEveryMessageOfTheContractsNamespace()
    {
        var messages = typeof(StartReplicas).Assembly.GetExportedTypes()
            .Where(t => t.Namespace == typeof(StartReplicas).Namespace && t.GetProperty(nameof(StartReplicas.MessageId))?.PropertyType == typeof(Guid))
            .Select(t => t.FullName!);

        Assert.Equal(messages.Order(StringComparer.Ordinal), ServiceBusEnvelope.Contracts.Keys.Order(StringComparer.Ordinal));
    }

    /// <summary>
    /// The body is written from build-time metadata; it must be the JSON the reflection-based serializer wrote with the
    /// same options (what every sender and receiver already running writes and reads), byte for byte.
    /// </summary>
    [Theory]
    [MemberData(nameof(ContractNames))]
    public void Create_EveryContract_WritesWhatTheReflectionSerializerWrote(string typeName)
    {
        var type = ServiceBusEnvelope.Contracts[typeName].Type;
        var message = Messages.Sample(type);
        var reflection = new JsonSerializerOptions(JsonSerializerDefaults.Web)
        {
            Converters = { new System.Text.Json.Serialization.JsonStringEnumConverter(allowIntegerValues: false) },
            RespectNullableAnnotations = true,
            RespectRequiredConstructorParameters = true,
        };

        var sent = ServiceBusEnvelope.Create(message);

        Assert.Equal(JsonSerializer.Serialize(message, type, reflection), sent.Body.ToString());
        Assert.Equal(((Guid)type.GetProperty(nameof(StartReplicas.MessageId))!.GetValue(message)!).ToString("D"), sent.MessageId);
        Assert.Equal(((Guid)type.GetProperty(nameof(StartReplicas.CorrelationId))!.GetValue(message)!).ToString("D"), sent.CorrelationId);
    }

    [Fact]
    public void CreateThenRead_StartReplicas_CarriesTheSpecAsTheSpecsOwnJson()
    {
        var spec = Messages.Spec();
        var start = new StartReplicas(Guid.NewGuid(), Guid.NewGuid(), Messages.Now, "host-a", 4, Messages.Now.AddMinutes(5), spec, [new ReplicaAssignment(1, [new PortBinding(8080, 18080, Protocol.Tcp)])]);

        var sent = ServiceBusEnvelope.Create(start, "host-a");
        var read = Assert.IsType<StartReplicas>(ServiceBusEnvelope.Read(Messages.Received(sent)).Message);

        using var body = JsonDocument.Parse(sent.Body.ToString());
        Assert.Equal("registry.example.com/team/web:1.4.2", body.RootElement.GetProperty("spec").GetProperty("image").GetString());
        Assert.Equal(spec, read.Spec);
        Assert.Equal(18080, Assert.Single(Assert.Single(read.Replicas).Ports).HostPort);
        Assert.Equal(start.ExpiresAt, read.ExpiresAt);
    }

    [Fact]
    public void Read_EnumWrittenAsNumber_IsMalformed()
    {
        var body = JsonNode.Parse(JsonSerializer.Serialize(Messages.Sample(typeof(DeploymentStatusReply)), ServiceBusEnvelope.JsonOptions))!;
        body["deployments"]![0]!["state"] = 2;

        var read = ServiceBusEnvelope.Read(Messages.Received(body.ToJsonString(), typeof(DeploymentStatusReply).FullName));

        Assert.Equal(DeadLetterReasons.MalformedBody, read.Reason);
        Assert.Null(read.Message);
    }

    private static string Json(object message, Type type) => JsonSerializer.Serialize(message, type, ServiceBusEnvelope.JsonOptions);
}
