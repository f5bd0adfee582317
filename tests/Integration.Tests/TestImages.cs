namespace Workers.Integration.Tests;

/// <summary>
/// The images the integration tests run, in one place. No registry is reachable here, so scripts/images.sh builds
/// them from Debian packages; each can be overridden with its environment variable.
/// </summary>
internal static class TestImages
{
    /// <summary>RabbitMQ 3.10 from Debian bookworm (quorum queues), built as workers-test/rabbitmq:3.10.</summary>
    public static string RabbitMq => Environment.GetEnvironmentVariable("WORKERS_TEST_RABBITMQ_IMAGE") ?? "workers-test/rabbitmq:3.10";

    /// <summary>busybox httpd on port 8080; "/" answers "hello from &lt;container&gt;".</summary>
    public static string Workload => Environment.GetEnvironmentVariable("WORKERS_TEST_WORKLOAD_IMAGE") ?? "workers-test/httpd:1";

    public const string HowToGetThem = "run scripts/test.sh (it installs and starts Docker and builds the test images), or `source scripts/test-env.sh` before `dotnet test`";
}
