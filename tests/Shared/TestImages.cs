namespace Workers.Testing;

/// <summary>
/// The images the Docker-backed suites (integration, fault injection) run, in one place. No registry is reachable
/// here, so scripts/images.sh builds them from Debian packages; each can be overridden with its environment variable
/// (an empty one counts as unset).
/// </summary>
internal static class TestImages
{
    /// <summary>RabbitMQ 3.10 from Debian bookworm (quorum queues), built as workers-test/rabbitmq:3.10.</summary>
    public static string RabbitMq => Setting("WORKERS_TEST_RABBITMQ_IMAGE", "workers-test/rabbitmq:3.10");

    /// <summary>PostgreSQL 15 from Debian bookworm, built as workers-test/postgres:15.</summary>
    public static string Postgres => Setting("WORKERS_TEST_POSTGRES_IMAGE", "workers-test/postgres:15");

    /// <summary>busybox httpd on port 8080, built as workers-test/httpd:1.</summary>
    public static string Workload => Setting("WORKERS_TEST_WORKLOAD_IMAGE", "workers-test/httpd:1");

    public const string HowToGetThem = "run scripts/test.sh (it installs and starts Docker and builds the test images), or `source scripts/test-env.sh` before `dotnet test`";

    private static string Setting(string name, string fallback) =>
        Environment.GetEnvironmentVariable(name) is { Length: > 0 } value ? value : fallback;
}
