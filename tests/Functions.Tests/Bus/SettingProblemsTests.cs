using Workers.Transport;

namespace Workers.Functions.Tests.Bus;

public sealed class SettingProblemsTests
{
    [Theory]
    [InlineData("rabbitmq://agent:s3cret@rabbit:5672/workers", "rabbitmq://agent:***@rabbit:5672/workers")]
    [InlineData("postgres://workers:s3cret@db/workers", "postgres://workers:***@db/workers")]
    [InlineData("Endpoint=sb://ns.servicebus.windows.net/;SharedAccessKeyName=app;SharedAccessKey=s3cret", "Endpoint=sb://ns.servicebus.windows.net/;SharedAccessKeyName=app;SharedAccessKey=***")]
    [InlineData("Host=db;Username=workers;Password=s3cret", "Host=db;Username=workers;Password=***")]
    [InlineData("-----BEGIN PRIVATE KEY-----\ns3cret\n-----END PRIVATE KEY-----", "(PEM text, not shown)")]
    [InlineData("rabbitmq://rabbit:5672/", "rabbitmq://rabbit:5672/")]
    [InlineData("host-a", "host-a")]
    public void Mask_SettingValue_HidesOnlyItsSecret(string value, string shown)
    {
        Assert.Equal(shown, SettingProblems.Mask(value));
    }

    [Fact]
    public void Message_OneProblem_IsThatProblem()
    {
        Assert.Equal("workers-agent: WORKERS_HOST_ID 'A': bad", SettingProblems.Message("workers-agent", ["WORKERS_HOST_ID 'A': bad"]));
    }

    [Fact]
    public void Message_SeveralProblems_CountsAndListsEveryOneOnOneLine()
    {
        Assert.Equal("workers: 2 settings refused: WORKERS_A: bad; WORKERS_B: worse", SettingProblems.Message("workers", ["WORKERS_A: bad", "WORKERS_B: worse"]));
    }
}
