namespace Workers.Testing;

/// <summary>Specs the Docker-backed suites deploy.</summary>
internal static class TestSpecs
{
    /// <summary>
    /// The workload image answering HTTP on 8080 with a quick HTTP health check on <paramref name="healthPath"/>
    /// (<c>/healthz</c> passes, any other path fails); <paramref name="version"/> goes into the env, so that each
    /// version is a new revision.
    /// </summary>
    public static string HttpChecked(string name, int replicas, string version, string healthPath, int? hostPort = null) =>
        $"""
        name: {name}
        image: {TestImages.Workload}
        replicas: {replicas}
        env:
          VERSION: "{version}"
        ports:
          - container: 8080
        {(hostPort is { } port ? $"    host: {port}\n" : string.Empty)}resources:
          memory: 16Mi
        healthCheck:
          http: {'{'} port: 8080, path: {healthPath} {'}'}
          interval: 500ms
          timeout: 400ms
          retries: 2

        """;
}
