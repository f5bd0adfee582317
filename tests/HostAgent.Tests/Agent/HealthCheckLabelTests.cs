using Workers.Contracts.Spec;
using Workers.HostAgent.Agent;

namespace Workers.HostAgent.Tests.Agent;

public sealed class HealthCheckLabelTests
{
    [Theory]
    [InlineData("http: { port: 8080, path: /healthz }", """{"kind":"http","port":8080,"path":"/healthz","intervalMs":10000,"timeoutMs":2000,"retries":3}""")]
    [InlineData("tcp: { port: 8080 }", """{"kind":"tcp","port":8080,"intervalMs":10000,"timeoutMs":2000,"retries":3}""")]
    [InlineData("command: [sh, -c, 'exit 0']", """{"kind":"command","command":["sh","-c","exit 0"],"intervalMs":10000,"timeoutMs":2000,"retries":3}""")]
    public void From_SpecCheck_IsCompactJsonThatReadsBack(string probe, string expected)
    {
        var check = Parse($"healthCheck:\n  {probe}\n").HealthCheck!;

        var json = HealthCheckLabel.From(check).ToJson();

        Assert.Equal(expected, json);
        Assert.True(HealthCheckLabel.TryParse(json, out var read));
        Assert.Equal(json, read.ToJson());
        Assert.Equal(TimeSpan.FromSeconds(10), read.Interval);
        Assert.Equal(TimeSpan.FromSeconds(2), read.Timeout);
    }

    [Theory]
    [InlineData("not json")]
    [InlineData("""{"kind":"grpc","port":8080,"intervalMs":10000,"timeoutMs":2000,"retries":3}""")]
    [InlineData("""{"kind":"http","port":8080,"intervalMs":10000,"timeoutMs":2000,"retries":3}""")]
    [InlineData("""{"kind":"tcp","port":70000,"intervalMs":10000,"timeoutMs":2000,"retries":3}""")]
    [InlineData("""{"kind":"command","command":[],"intervalMs":10000,"timeoutMs":2000,"retries":3}""")]
    [InlineData("""{"kind":"tcp","port":8080,"intervalMs":0,"timeoutMs":2000,"retries":3}""")]
    public void TryParse_NotACheck_IsFalse(string text) => Assert.False(HealthCheckLabel.TryParse(text, out _));

    [Fact]
    public void ReadMinReady_LabelOrDefault_IsTheSpecsValue()
    {
        Assert.Equal(TimeSpan.Zero, ContainerLabels.ReadMinReady(new Dictionary<string, string> { [ContainerLabels.MinReadyMs] = "0" }));
        Assert.Equal(TimeSpan.FromMilliseconds(1500), ContainerLabels.ReadMinReady(new Dictionary<string, string> { [ContainerLabels.MinReadyMs] = "1500" }));
        Assert.Equal(UpdatePolicy.DefaultMinReady.Value, ContainerLabels.ReadMinReady(new Dictionary<string, string>()));
    }

    private static DeploymentSpec Parse(string extra)
    {
        var result = SpecParser.Parse($"name: web\nimage: workers-test/httpd:1\nports: [{{ container: 8080 }}]\n{extra}", "web.yaml", SpecFormat.Yaml);
        Assert.True(result.IsValid, string.Join("; ", result.Problems));
        return result.Spec;
    }
}
