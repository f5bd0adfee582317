using Docker.DotNet;
using Testcontainers.RabbitMq;

namespace Workers.Testing;

/// <summary>Starts a RabbitMQ container of the test image, or fails saying how to get Docker and the image.</summary>
internal static class TestBroker
{
    public static async Task<RabbitMqContainer> StartAsync(RabbitMqContainer rabbit)
    {
        try
        {
            await rabbit.StartAsync();
            return rabbit;
        }
        catch (Exception e) when (e is DotNet.Testcontainers.Builders.DockerUnavailableException or DockerApiException or TimeoutException or HttpRequestException)
        {
            throw new InvalidOperationException($"RabbitMQ ({TestImages.RabbitMq}) could not be started: {e.Message}. An Engine 20.10 needs DOCKER_API_VERSION=1.41; {TestImages.HowToGetThem}.", e);
        }
    }
}
