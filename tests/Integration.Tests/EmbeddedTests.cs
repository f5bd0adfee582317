namespace Workers.Integration.Tests;

/// <summary>
/// The embedded default as the README starts it: no broker, no server, the CLI as a process that runs the functions
/// and one agent for this machine in itself, on the real Docker engine, with a config and data directory of its own.
/// </summary>
public sealed class EmbeddedTests : IAsyncLifetime
{
    private readonly CliSandbox _sandbox = new("emb");

    private Dictionary<string, string> Environment => _sandbox.Environment;

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _sandbox.DisposeAsync();

    [Fact]
    public async Task DeployStatusDelete_OnTheEmbeddedDefault_RunsEveryReplicaThenRemovesEveryContainer()
    {
        var name = $"emb-{Guid.NewGuid():N}"[..14];
        var spec = Path.Combine(_sandbox.Directory, $"{name}.yaml");
        await File.WriteAllTextAsync(spec, $"name: {name}\nimage: {TestImages.Workload}\nreplicas: 3\nports:\n  - container: 8080\nresources:\n  memory: 16Mi\nupdate:\n  minReady: 0s\n");

        // The embedded default waits for the outcome: the deploy returns once every replica runs, healthy.
        var deploy = await CliProcess.RunAsync(Environment, "deploy", spec);
        Assert.True(deploy.Exit == 0, deploy.ToString());
        Assert.EndsWith($"deployment {name} revision 1 is running: 3 healthy replica(s)", deploy.Out.Trim(), StringComparison.Ordinal);
        var containers = await DockerView.ContainersAsync(_sandbox.Docker, _sandbox.HostId, name);
        Assert.Equal(3, containers.Count(c => c.State == "running"));

        var status = await CliProcess.RunAsync(Environment, "status", name);
        Assert.True(status.Exit == 0, status.ToString());
        Assert.Contains("Running", status.Out, StringComparison.Ordinal);
        Assert.Contains(" 3/3 ", status.Out, StringComparison.Ordinal);

        // And the delete returns once every container is gone.
        var delete = await CliProcess.RunAsync(Environment, "delete", name);
        Assert.True(delete.Exit == 0, delete.ToString());
        Assert.Equal($"deployment {name} deleted", delete.Out.Trim());
        Assert.Empty(await DockerView.ContainersAsync(_sandbox.Docker, _sandbox.HostId, name));
        var after = await CliProcess.RunAsync(Environment, "status", name);
        Assert.True(after.Exit == 1, after.ToString());

        // A second delete names nothing: an error that says so, not "deleted".
        var again = await CliProcess.RunAsync(Environment, "delete", name);
        Assert.Equal((1, $"workers: no deployment named {name}"), (again.Exit, again.Error.Trim()));
    }
}
