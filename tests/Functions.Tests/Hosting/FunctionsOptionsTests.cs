using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Workers.Functions.Store;

namespace Workers.Functions.Tests.Hosting;

public sealed class FunctionsOptionsTests
{
    [Fact]
    public void Options_Unset_AreTheDocumentedDefaults_AndValid()
    {
        var options = Resolve([]);

        Assert.Equal(
            [TimeSpan.FromSeconds(30), TimeSpan.FromMinutes(5), TimeSpan.FromMinutes(5), TimeSpan.FromMinutes(2), TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(30), TimeSpan.FromDays(7), TimeSpan.FromSeconds(5)],
            [options.HostTimeout, options.CommandTimeToLive, options.StartDeadline, options.StopDeadline, options.OrphanGrace, options.OutboxGrace, options.EventRetention, options.SweepInterval]);
    }

    [Fact]
    public void Options_ADurationThatIsNotPositive_StopsTheStartNamingEveryOne()
    {
        var refused = Assert.Throws<OptionsValidationException>(() => Resolve(new()
        {
            ["Workers:SweepInterval"] = "00:00:00",
            ["Workers:OrphanGrace"] = "-00:00:01",
            ["Workers:StartDeadline"] = "00:01:00",
        }));

        Assert.Equal(
            ["Workers:OrphanGrace must be a positive duration, such as 00:00:30; it is -00:00:01", "Workers:SweepInterval must be a positive duration, such as 00:00:30; it is 00:00:00"],
            refused.Failures.Order(StringComparer.Ordinal));
    }

    private static FunctionsOptions Resolve(Dictionary<string, string?> settings)
    {
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(new ConfigurationBuilder().AddInMemoryCollection(settings).Build());
        services.AddWorkersHandlers(_ => new SqliteDialect(":memory:"));
        using var provider = services.BuildServiceProvider();
        return provider.GetRequiredService<IOptions<FunctionsOptions>>().Value;
    }
}
