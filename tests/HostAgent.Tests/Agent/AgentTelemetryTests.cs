using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Workers.HostAgent.Agent;
using Workers.Telemetry;

namespace Workers.HostAgent.Tests.Agent;

public sealed class AgentTelemetryTests
{
    [Fact]
    public void TryReadMetricsUrl_Unset_NoListener()
    {
        Assert.True(AgentTelemetry.TryReadMetricsUrl(null, out var url, out var error));
        Assert.Null(url);
        Assert.Null(error);
    }

    [Theory]
    [InlineData("http://127.0.0.1:9464", "127.0.0.1", 9464)]
    [InlineData("http://10.0.0.5:9100/", "10.0.0.5", 9100)]
    public void TryReadMetricsUrl_HostAndPort_IsThatListener(string setting, string host, int port)
    {
        Assert.True(AgentTelemetry.TryReadMetricsUrl(setting, out var url, out _));
        Assert.Equal((host, port), (url!.Host, url.Port));
    }

    [Theory]
    [InlineData("127.0.0.1:9464")]
    [InlineData("http://127.0.0.1")]
    [InlineData("https://127.0.0.1:9464")]
    [InlineData("http://127.0.0.1:9464/metrics")]
    [InlineData("http://127.0.0.1:9464,http://127.0.0.2:9464")]
    [InlineData("http://user:pw@127.0.0.1:9464")]
    public void TryReadMetricsUrl_AnythingButOneHttpHostAndPort_IsRefusedNamingTheSetting(string setting)
    {
        Assert.False(AgentTelemetry.TryReadMetricsUrl(setting, out _, out var error));
        Assert.StartsWith("WORKERS_METRICS_URL: ", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task MetricsUrl_Set_ServesTheDockerCallsDurationAtMetrics()
    {
        var port = FreePort();
        Assert.True(AgentTelemetry.TryReadMetricsUrl($"http://127.0.0.1:{port}", out var url, out _));
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Services.AddWorkersAgentTelemetry(builder.Configuration, url);
        using var host = builder.Build();
        await host.StartAsync();
        try
        {
            using (WorkersTelemetry.Docker("list", "docker list"))
            {
            }

            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
            var text = await http.GetStringAsync(new Uri($"http://127.0.0.1:{port}/metrics"));

            Assert.Contains("# TYPE workers_docker_duration_seconds histogram", text, StringComparison.Ordinal);
            Assert.Matches(@"(?m)^workers_docker_duration_seconds_count\{[^}]*operation=""list""[^}]*\} [1-9]", text);
        }
        finally
        {
            await host.StopAsync();
        }
    }

    [Fact]
    public void NothingSet_RegistersNoOpenTelemetry()
    {
        var services = new ServiceCollection();

        services.AddWorkersAgentTelemetry(new ConfigurationBuilder().Build(), null);

        Assert.DoesNotContain(services, s => s.ServiceType.Namespace?.StartsWith("OpenTelemetry", StringComparison.Ordinal) == true);
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
