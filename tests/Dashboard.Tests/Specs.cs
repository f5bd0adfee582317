namespace Workers.Dashboard.Tests;

/// <summary>The specs the tests deploy: the workload image answering HTTP on 8080, with a health check.</summary>
internal static class Specs
{
    public static string Name(string prefix) => $"{prefix}-{Guid.NewGuid():N}"[..16];

    /// <summary>A spec whose rollout fails over to the last healthy revision when its health check fails.</summary>
    public static string Http(string name, int replicas, string version, string healthPath) =>
        TestSpecs.HttpChecked(name, replicas, version, healthPath) + "update: { maxUnavailable: 1, maxSurge: 1, minReady: 1s, autoRollback: true }\n";
}
