using Workers.Integration.Tests;

namespace Workers.Dashboard.Tests;

/// <summary>
/// The integration suite's pipeline (a real RabbitMQ, the functions, the HTTP intake that serves the dashboard, and two
/// agents on the real Docker engine) on addresses of its own, 127.0.0.12 and 127.0.0.13.
/// </summary>
public sealed class DashboardFixture : PipelineFixture
{
    protected override (string A, string B) BindAddresses => ("127.0.0.12", "127.0.0.13");

    protected override bool WithIntake => true;

    /// <summary>An HTTP client of the API with the fixture's token.</summary>
    public HttpClient NewApiClient(string? token = null)
    {
        var client = new HttpClient { BaseAddress = IntakeAddress, Timeout = TimeSpan.FromSeconds(60) };
        client.DefaultRequestHeaders.Authorization = new("Bearer", token ?? IntakeToken);
        return client;
    }
}

[CollectionDefinition(Name)]
public sealed class DashboardCollection : ICollectionFixture<DashboardFixture>
{
    public const string Name = "dashboard";
}
