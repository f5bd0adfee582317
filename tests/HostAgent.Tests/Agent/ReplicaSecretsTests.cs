using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Workers.Contracts.Messages;
using Workers.Contracts.Spec;
using Workers.HostAgent.Agent;
using Workers.HostAgent.Runtime;
using Workers.HostAgent.Tests.Support;
using Workers.Security;

namespace Workers.HostAgent.Tests.Agent;

/// <summary>
/// A start command's sealed secrets: opened with the agent's sealing key into the container's environment only, and a
/// value that is missing or does not open fails the replicas saying which variable, without the engine being asked.
/// </summary>
public sealed class ReplicaSecretsTests : IDisposable
{
    private static readonly AgentOptions Options = new(HostId.From("host-a"), new Dictionary<string, string>(), "127.0.0.1", TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(1)) { Keys = TestKeys.Agent, ControlKeys = TestKeys.Trusted };
    private static readonly DeploymentSpec Spec = SpecParser.Parse("name: web\nimage: workers-test/httpd:1\nreplicas: 2\nenv:\n  DB_PASSWORD: { secret: db-password }\n  LOG_LEVEL: info\n", "web.yaml").Spec!;

    private readonly string _canary = "canary-" + Guid.NewGuid().ToString("N");
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2025, 1, 1, 0, 0, 0, TimeSpan.Zero));
    private readonly FakeRuntime _runtime = new();
    private readonly RecordingPublisher _publisher = RecordingPublisher.Create();
    private readonly HealthProbes _probes;
    private readonly HealthMonitor _monitor;
    private readonly ReplicaCommandHandler _handler;

    public ReplicaSecretsTests()
    {
        _probes = new HealthProbes(_runtime, Options);
        _monitor = new HealthMonitor(_publisher.Scopes(), _runtime, _probes, Options, _time, NullLogger<HealthMonitor>.Instance);
        _handler = new ReplicaCommandHandler(_runtime, _monitor, Options, _time, NullLogger<ReplicaCommandHandler>.Instance);
        _runtime.Start = launch => new ContainerStarted("id-" + launch.Name, [], AlreadyRunning: false);
    }

    public void Dispose()
    {
        _monitor.Dispose();
        _probes.Dispose();
    }

    [Fact]
    public async Task Start_ValueSealedToThisAgent_IsInTheContainersEnvironmentBesideTheLiterals()
    {
        var results = await HandleAsync(Start(Sealed(TestKeys.Agent.Identity.SealingKey, revision: 4, "DB_PASSWORD"), revision: 4));

        Assert.All(results, r => Assert.IsType<ReplicaStarted>(r));
        Assert.Equal(2, _runtime.Launches.Count);
        Assert.All(_runtime.Launches, launch =>
        {
            Assert.Equal(_canary, launch.Env["DB_PASSWORD"]);
            Assert.Equal("info", launch.Env["LOG_LEVEL"]);
            Assert.DoesNotContain(launch.Labels, l => l.Value.Contains(_canary, StringComparison.Ordinal));
        });
    }

    [Fact]
    public async Task Start_NoSealedValueForTheVariable_FailsTheReplicasNamingItWithoutAskingTheEngine()
    {
        var failures = await FailuresAsync(Start(new Dictionary<string, string>(), revision: 4));

        Assert.All(failures, f => Assert.StartsWith("env DB_PASSWORD: the value of secret 'db-password' did not come with the command", f.Reason, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Start_ValueSealedToAnotherAgent_FailsTheReplicasWithoutTheValue()
    {
        using var other = AgentKeys.Generate();

        var failures = await FailuresAsync(Start(Sealed(other.Identity.SealingKey, revision: 4, "DB_PASSWORD"), revision: 4));

        Assert.All(failures, f => Assert.StartsWith("env DB_PASSWORD: the value of secret 'db-password' does not open with this agent's sealing key", f.Reason, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Start_ValueSealedForAnotherRevision_DoesNotOpen()
    {
        var failures = await FailuresAsync(Start(Sealed(TestKeys.Agent.Identity.SealingKey, revision: 3, "DB_PASSWORD"), revision: 4));

        Assert.All(failures, f => Assert.Contains("does not open", f.Reason, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Start_ValueSealedForAnotherVariable_DoesNotOpen()
    {
        var sealedEnv = new Dictionary<string, string> { ["DB_PASSWORD"] = Sealed(TestKeys.Agent.Identity.SealingKey, revision: 4, "LOG_LEVEL")["LOG_LEVEL"] };

        var failures = await FailuresAsync(Start(sealedEnv, revision: 4));

        Assert.All(failures, f => Assert.Contains("does not open", f.Reason, StringComparison.Ordinal));
    }

    private async Task<IReadOnlyList<object>> HandleAsync(StartReplicas command) =>
        await _handler.HandleAsync(TestKeys.Control.Sign(command), _ => Task.CompletedTask, CancellationToken.None);

    private async Task<List<ReplicaFailed>> FailuresAsync(StartReplicas command)
    {
        var failures = (await HandleAsync(command)).Select(r => Assert.IsType<ReplicaFailed>(r)).ToList();
        Assert.Equal([0, 1], failures.Select(f => f.Index));
        Assert.All(failures, f => Assert.DoesNotContain(_canary, f.Reason, StringComparison.Ordinal));
        Assert.Empty(_runtime.Launches);
        return failures;
    }

    private Dictionary<string, string> Sealed(string recipient, long revision, string variable) =>
        new() { [variable] = SealingKey.Seal(recipient, Encoding.UTF8.GetBytes(_canary), SealingContexts.EnvValue("web", revision, variable)) };

    private StartReplicas Start(IReadOnlyDictionary<string, string> sealedEnv, long revision) =>
        new(Guid.NewGuid(), Guid.NewGuid(), _time.GetUtcNow(), "host-a", revision, _time.GetUtcNow() + TimeSpan.FromMinutes(1), Spec,
            [new ReplicaAssignment(0, []), new ReplicaAssignment(1, [])], SealedEnv: sealedEnv);
}
