namespace Workers.Intake.Tests.Http;

/// <summary>The query of <c>GET /api/deployments/{name}/logs</c>, read and checked before anything is asked.</summary>
public sealed class LogsQueryTests
{
    private readonly LogsIntake _logs = new([], TimeProvider.System);

    [Fact]
    public void Parse_ContainerFromAnEarlierAnswer_PinsTheRequestToIt()
    {
        var container = new string('a', 64);

        var (request, refusal) = _logs.Parse("web", new Dictionary<string, string?> { ["after"] = "cursor-1", ["container"] = container });

        Assert.Null(refusal);
        Assert.Equal(("cursor-1", container), (request!.After, request.Container));
    }

    [Theory]
    [InlineData("abc")]
    [InlineData("ABCDEF0123456789")]
    [InlineData("../../etc/passwd")]
    public void Parse_ContainerThatIsNoContainerId_Answers400NamingIt(string container)
    {
        var (request, refusal) = _logs.Parse("web", new Dictionary<string, string?> { ["container"] = container });

        Assert.Null(request);
        Assert.Equal(400, refusal!.Status);
        Assert.Contains($"container: '{container}' is not a container id", ((Microsoft.AspNetCore.Mvc.ProblemDetails)refusal.Body).Detail, StringComparison.Ordinal);
    }
}
