namespace Workers.Bench.Latency;

/// <summary>What every side starts: the same image, with port 8080 published on a host port of the engine's choosing.</summary>
internal static class Workload
{
    public const int ContainerPort = 8080;

    /// <summary>Marks every container and service the floor and Swarm sides make, so that cleanup finds them all.</summary>
    public const string RunLabel = "workers-bench.latency-run";

    /// <summary>The deployment (service, container group) a container belongs to.</summary>
    public const string NameLabel = "workers-bench.name";

    /// <summary>busybox httpd on port 8080: the integration suites' workload image.</summary>
    public static string Image => TestImages.Workload;

    /// <summary>
    /// The spec the Workers sides deploy: no resource limits, as the floor and Swarm set none, and no readiness time
    /// (<c>update.minReady: 0s</c>): the floor and Swarm wait for none, and the default 5 s would be counted as Workers'
    /// own (it was, from the day minReady came until 2026-11-27: the RabbitMQ side then read 5.2 s for one replica).
    /// </summary>
    public static string Spec(string name, int replicas) =>
        $"name: {name}\nimage: {Image}\nreplicas: {replicas}\nports:\n  - container: {ContainerPort}\nupdate:\n  minReady: 0s\n";
}
