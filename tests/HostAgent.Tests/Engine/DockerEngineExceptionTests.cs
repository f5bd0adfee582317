using System.Net;
using Workers.DockerEngine;

namespace Workers.HostAgent.Tests.Engine;

public sealed class DockerEngineExceptionTests
{
    [Fact]
    public void EngineMessage_JsonErrorBody_IsTheMessageField()
    {
        var error = new DockerEngineException(HttpStatusCode.Conflict, """{"message":"Conflict. The container name \"/w\" is already in use"}""");

        Assert.Equal("Conflict. The container name \"/w\" is already in use", error.EngineMessage);
        Assert.Equal(HttpStatusCode.Conflict, error.StatusCode);
    }

    [Theory]
    [InlineData("404 page not found\n", "404 page not found")]
    [InlineData("""{"error":"not the engine's shape"}""", """{"error":"not the engine's shape"}""")]
    [InlineData("""{"message":42}""", """{"message":42}""")]
    public void EngineMessage_BodyNotTheEnginesJson_IsTheBodyAsItCame(string body, string expected)
    {
        Assert.Equal(expected, new DockerEngineException(HttpStatusCode.NotFound, body).EngineMessage);
    }

    [Fact]
    public void EngineMessage_EmptyBody_IsTheStatusCode()
    {
        Assert.Equal("500 InternalServerError", new DockerEngineException(HttpStatusCode.InternalServerError, "").EngineMessage);
    }
}
