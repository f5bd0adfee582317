using System.Text.RegularExpressions;

namespace Workers.Transport.ServiceBus.Tests;

/// <summary>
/// infra/azure/main.bicep must declare what the adapter reads and routes by. The file is compiled by
/// infra/azure/check.sh; these tests keep its names and filters from drifting away from the code.
/// </summary>
public sealed partial class BicepTopologyTests
{
    private static readonly string Bicep = File.ReadAllText(Path.Combine(RepositoryRoot(), "infra", "azure", "main.bicep"));

    [Fact]
    public void MainBicep_FunctionSubscriptions_FilterOnTheMessageTypesTheAdapterRoutes()
    {
        var declared = SubscriptionBlock().Matches(Bicep).ToDictionary(
            m => m.Groups["name"].Value,
            m => Quoted().Matches(m.Groups["types"].Value).Select(q => q.Groups[1].Value).ToArray());

        Assert.Equal(ServiceBusTopology.FunctionSubscriptions.Keys.Order(), declared.Keys.Order());
        Assert.All(ServiceBusTopology.FunctionSubscriptions, s => Assert.Equal(s.Value.Select(t => t.FullName), declared[s.Key]));
        Assert.Contains($"sqlExpression: '{ServiceBusTopology.MessageTypeProperty} IN (", Bicep, StringComparison.Ordinal);
    }

    [Fact]
    public void MainBicep_HostSubscriptions_AreNamedAndFilteredAsTheAdapterSends()
    {
        Assert.Contains("name: 'host.${h.id}'", Bicep, StringComparison.Ordinal);
        Assert.Contains($"{ServiceBusTopology.HostIdProperty}: h.id", Bicep, StringComparison.Ordinal);
        Assert.Equal("host.host-a", ServiceBusTopology.HostSubscription("host-a"));
    }

    [Theory]
    [InlineData(ServiceBusSettings.BrokerSetting)]
    [InlineData(ServiceBusSettings.TopicSetting)]
    [InlineData(ServiceBusSettings.MaxDeliveriesSetting)]
    public void MainBicep_AppSettings_IncludeEverySettingTheAdapterReads(string setting)
    {
        Assert.Contains($"{{ name: '{setting}', value: ", Bicep, StringComparison.Ordinal);
    }

    [Fact]
    public void MainBicep_Topic_DetectsDuplicates()
    {
        Assert.Contains("requiresDuplicateDetection: true", Bicep, StringComparison.Ordinal);
    }

    [Fact]
    public void MainBicep_ReplyQueue_IsTheCliDefaultAndTakesSessions()
    {
        Assert.Contains($"param replyQueueName string = '{ServiceBusTopology.DefaultReplyQueue}'", Bicep, StringComparison.Ordinal);
        Assert.Contains("requiresSession: true", Bicep, StringComparison.Ordinal);
    }

    private static string RepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Workers.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException($"no Workers.sln above {AppContext.BaseDirectory}");
    }

    [GeneratedRegex(@"name: '(?<name>[a-z]+)'\s*messageTypes: \[(?<types>[^\]]*)\]")]
    private static partial Regex SubscriptionBlock();

    [GeneratedRegex("'([^']+)'")]
    private static partial Regex Quoted();
}
