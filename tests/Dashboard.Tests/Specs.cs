namespace Workers.Dashboard.Tests;

/// <summary>The specs the tests deploy: the workload image answering HTTP on 8080, with a health check.</summary>
internal static class Specs
{
    public static string Name(string prefix) => $"{prefix}-{Guid.NewGuid():N}"[..16];

    public static string Http(string name, int replicas, string version, string healthPath) =>
        $"""
        name: {name}
        image: {TestImages.Workload}
        replicas: {replicas}
        env:
          VERSION: "{version}"
        ports:
          - container: 8080
        resources:
          memory: 16Mi
        healthCheck:
          http: {'{'} port: 8080, path: {healthPath} {'}'}
          interval: 500ms
          timeout: 400ms
          retries: 2
        update: {'{'} maxUnavailable: 1, maxSurge: 1, minReady: 1s, autoRollback: true {'}'}

        """;
}
