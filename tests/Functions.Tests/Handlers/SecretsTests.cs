using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Workers.Contracts.Messages;
using Workers.Contracts.Spec;
using Workers.Functions.Tests.Support;
using Workers.Security;

namespace Workers.Functions.Tests.Handlers;

/// <summary>Secrets through the functions: validated by name, set sealed, and sealed again to the host that runs them.</summary>
public sealed class SecretsTests
{
    private const string SecretEnv = "env:\n  DB_PASSWORD: { secret: db-password }\n  LOG_LEVEL: info\n";

    private readonly string _canary = "canary-" + Guid.NewGuid().ToString("N");

    [Fact]
    public async Task Validate_SecretThatDoesNotExist_RejectedWithTheProblemAtTheReference()
    {
        await using var h = await HandlerHarness.CreateAsync();
        var request = Requested(h, Specs.Text("web", 1, SecretEnv));

        var effects = await h.Validate.HandleAsync(request, CancellationToken.None);

        var rejected = Assert.IsType<DeploymentRejected>(Assert.Single(effects.Published));
        Assert.Equal("the spec refers to secrets that do not exist: db-password", rejected.Reason);
        var problem = Assert.Single(rejected.Problems);
        Assert.Equal(("web.yaml", 5, 26, "env.DB_PASSWORD", "secret.missing"), (problem.File, problem.Line, problem.Column, problem.Path, problem.Code));
        Assert.Contains("workers secret set db-password", problem.Message, StringComparison.Ordinal);
        Assert.Equal(DeploymentState.Rejected, (await h.Store.GetRevisionAsync(request.CorrelationId, CancellationToken.None))!.State);
    }

    [Fact]
    public async Task Validate_SecretThatExists_Accepted()
    {
        await using var h = await HandlerHarness.CreateAsync();
        await SetAsync(h, "db-password", _canary);

        var effects = await h.Validate.HandleAsync(Requested(h, Specs.Text("web", 1, SecretEnv)), CancellationToken.None);

        var accepted = Assert.IsType<DeploymentAccepted>(Assert.Single(effects.Published));
        Assert.Equal("db-password", accepted.Spec.SecretEnv["DB_PASSWORD"].Value);
    }

    [Fact]
    public async Task DryRun_SecretThatDoesNotExist_AnswersTheProblem()
    {
        await using var h = await HandlerHarness.CreateAsync();

        var reply = await h.DryRun.HandleAsync(new PlanDeployment(Guid.NewGuid(), Guid.NewGuid(), h.Time.GetUtcNow(), Specs.Text("web", 1, SecretEnv), "web.yaml"), CancellationToken.None);

        Assert.Empty(reply.Placements);
        Assert.Equal("env.DB_PASSWORD", Assert.Single(reply.Problems).Path);
    }

    [Fact]
    public async Task Plan_SpecWithASecret_SealsItsValueToTheHostsAgentForThatVariableOnly()
    {
        await using var h = await HandlerHarness.CreateAsync();
        using var agent = AgentKeys.Generate();
        await HeartbeatAsync(h, "host-a", agent.Identity);
        await SetAsync(h, "db-password", _canary);

        var (_, effects) = await h.DeployAsync(Specs.Make("web", 2, SecretEnv));

        var (_, start) = Assert.Single(effects.SentOf<StartReplicas>());
        var sealedValue = Assert.Single(start.SealedEnv!, e => e.Key == "DB_PASSWORD").Value;
        Assert.Equal(_canary, Encoding.UTF8.GetString(agent.Sealing.Open(sealedValue, SealingContexts.EnvValue("web", start.Revision, "DB_PASSWORD"))));
        Assert.ThrowsAny<CryptographicException>(() => agent.Sealing.Open(sealedValue, SealingContexts.EnvValue("web", start.Revision + 1, "DB_PASSWORD")));
        Assert.ThrowsAny<CryptographicException>(() => agent.Sealing.Open(sealedValue, SealingContexts.EnvValue("web", start.Revision, "OTHER")));
        Assert.DoesNotContain(_canary, JsonSerializer.Serialize(start), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Plan_SpecWithoutSecrets_CommandCarriesNoSealedEnv()
    {
        await using var h = await HandlerHarness.CreateAsync();
        using var agent = AgentKeys.Generate();
        await HeartbeatAsync(h, "host-a", agent.Identity);

        var (_, effects) = await h.DeployAsync(Specs.Make("web", 1));

        Assert.Null(Assert.Single(effects.SentOf<StartReplicas>()).Command.SealedEnv);
    }

    [Fact]
    public async Task Plan_OnlyHostSendsNoSealingKey_RejectedSayingWhy()
    {
        await using var h = await HandlerHarness.CreateAsync();
        await h.HeartbeatAsync("host-a");
        await SetAsync(h, "db-password", _canary);

        var (_, effects) = await h.DeployAsync(Specs.Make("web", 1, SecretEnv));

        Assert.Empty(effects.Sent);
        var rejected = Assert.Single(effects.PublishedOf<DeploymentRejected>());
        Assert.Contains("host-a: its agent sends no sealing key", rejected.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Plan_HostsWithAndWithoutAKey_PlacesOnlyOnTheOneWithAKey()
    {
        await using var h = await HandlerHarness.CreateAsync();
        using var agent = AgentKeys.Generate();
        await h.HeartbeatAsync("host-a");
        await HeartbeatAsync(h, "host-b", agent.Identity);
        await SetAsync(h, "db-password", _canary);

        var (_, effects) = await h.DeployAsync(Specs.Make("web", 3, SecretEnv));

        Assert.Equal(["host-b"], effects.SentOf<StartReplicas>().Select(s => s.HostId).Distinct());
    }

    [Fact]
    public async Task Plan_SecretDeletedAfterValidation_CommandLacksTheVariable()
    {
        await using var h = await HandlerHarness.CreateAsync();
        using var agent = AgentKeys.Generate();
        await HeartbeatAsync(h, "host-a", agent.Identity);

        var (_, effects) = await h.DeployAsync(Specs.Make("web", 1, SecretEnv));

        var start = Assert.Single(effects.SentOf<StartReplicas>()).Command;
        Assert.NotNull(start.SealedEnv);
        Assert.Empty(start.SealedEnv);
    }

    [Fact]
    public async Task Plan_HostWithAKeyThatIsNoKey_CommandLacksTheVariable()
    {
        await using var h = await HandlerHarness.CreateAsync();
        await HeartbeatAsync(h, "host-a", new AgentIdentity("c2lnbmluZw==", "bm90IGEga2V5"));
        await SetAsync(h, "db-password", _canary);

        var (_, effects) = await h.DeployAsync(Specs.Make("web", 1, SecretEnv));

        Assert.Empty(Assert.Single(effects.SentOf<StartReplicas>()).Command.SealedEnv!);
    }

    [Fact]
    public async Task Track_ReplacementForATakenHostPort_IsSealedToItsNewHost()
    {
        await using var h = await HandlerHarness.CreateAsync();
        using var agent = AgentKeys.Generate();
        await HeartbeatAsync(h, "host-a", agent.Identity);
        await SetAsync(h, "db-password", _canary);
        var (_, planned) = await h.DeployAsync(Specs.Make("web", 1, SecretEnv + "ports: [{container: 8080}]\n"));
        var first = Assert.Single(planned.SentOf<StartReplicas>()).Command;

        var effects = await h.Track.HandleAsync(
            new ReplicaFailed(Guid.NewGuid(), first.CorrelationId, h.Time.GetUtcNow(), "host-a", "web", first.Revision, 0, "port is already allocated", HostPortTaken: true),
            CancellationToken.None);

        var replacement = Assert.Single(effects.SentOf<StartReplicas>()).Command;
        Assert.NotEqual(first.Replicas[0].Index, replacement.Replicas[0].Index);
        Assert.Equal(_canary, Encoding.UTF8.GetString(agent.Sealing.Open(replacement.SealedEnv!["DB_PASSWORD"], SealingContexts.EnvValue("web", replacement.Revision, "DB_PASSWORD"))));
    }

    [Fact]
    public async Task SetSecret_SealedToTheFunctionsForItsName_IsStoredAndAnsweredWithoutTheValue()
    {
        await using var h = await HandlerHarness.CreateAsync();

        var reply = await SetAsync(h, "db-password", _canary);

        Assert.Equal((SecretOutcome.Created, "db-password", null), (reply.Outcome, reply.Name, reply.Error));
        Assert.Equal(_canary, Encoding.UTF8.GetString((await h.Secrets.RevealAsync([SecretName.From("db-password")], CancellationToken.None))[SecretName.From("db-password")]));
        Assert.DoesNotContain(_canary, JsonSerializer.Serialize(reply), StringComparison.Ordinal);
    }

    [Fact]
    public async Task SetSecret_SealedForAnotherName_IsRefusedAndNothingStored()
    {
        await using var h = await HandlerHarness.CreateAsync();
        var key = (await h.SecretsHandler.HandleAsync(new GetSealingKey(Guid.NewGuid(), Guid.NewGuid(), h.Time.GetUtcNow()), CancellationToken.None)).PublicKey;
        var sealedValue = SealingKey.Seal(key, Encoding.UTF8.GetBytes(_canary), SealingContexts.SetSecret("other"));

        var reply = await h.SecretsHandler.HandleAsync(new SetSecret(Guid.NewGuid(), Guid.NewGuid(), h.Time.GetUtcNow(), "db-password", sealedValue, "tester"), CancellationToken.None);

        Assert.Equal(SecretOutcome.Refused, reply.Outcome);
        Assert.Contains("does not open", reply.Error, StringComparison.Ordinal);
        Assert.Empty(await h.Secrets.ListAsync(CancellationToken.None));
    }

    [Theory]
    [InlineData("Db_Password", "is not a secret name")]
    [InlineData("ok", "NUL")]
    public async Task SetSecret_BadNameOrValue_IsRefusedWithoutQuotingTheValue(string name, string expected)
    {
        await using var h = await HandlerHarness.CreateAsync();

        var reply = await SetAsync(h, name, _canary + "\0");

        Assert.Equal(SecretOutcome.Refused, reply.Outcome);
        Assert.Contains(expected, reply.Error, StringComparison.Ordinal);
        Assert.DoesNotContain(_canary, reply.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SetSecret_Twice_CreatedThenUpdated()
    {
        await using var h = await HandlerHarness.CreateAsync();

        Assert.Equal(SecretOutcome.Created, (await SetAsync(h, "db-password", "one")).Outcome);
        Assert.Equal(SecretOutcome.Updated, (await SetAsync(h, "db-password", _canary)).Outcome);
    }

    [Fact]
    public async Task DeleteAndList_ASecret_ListedByNameThenDeletedThenNotFound()
    {
        await using var h = await HandlerHarness.CreateAsync();
        await SetAsync(h, "db-password", _canary);

        var listed = await h.SecretsHandler.HandleAsync(new ListSecrets(Guid.NewGuid(), Guid.NewGuid(), h.Time.GetUtcNow()), CancellationToken.None);
        var deleted = await h.SecretsHandler.HandleAsync(new DeleteSecret(Guid.NewGuid(), Guid.NewGuid(), h.Time.GetUtcNow(), "db-password", "tester"), CancellationToken.None);
        var again = await h.SecretsHandler.HandleAsync(new DeleteSecret(Guid.NewGuid(), Guid.NewGuid(), h.Time.GetUtcNow(), "db-password", "tester"), CancellationToken.None);

        Assert.Equal(["db-password"], listed.Secrets.Select(s => s.Name));
        Assert.DoesNotContain(_canary, JsonSerializer.Serialize(listed), StringComparison.Ordinal);
        Assert.Equal((SecretOutcome.Deleted, SecretOutcome.NotFound), (deleted.Outcome, again.Outcome));
    }

    private static DeploymentRequested Requested(HandlerHarness h, string text) =>
        new(Guid.NewGuid(), Guid.NewGuid(), h.Time.GetUtcNow(), text, "web.yaml", "alice");

    /// <summary>Sets a secret as the CLI does over the bus: the value sealed to the key the functions hand out.</summary>
    private static async Task<SecretReply> SetAsync(HandlerHarness h, string name, string value)
    {
        var key = (await h.SecretsHandler.HandleAsync(new GetSealingKey(Guid.NewGuid(), Guid.NewGuid(), h.Time.GetUtcNow()), CancellationToken.None)).PublicKey;
        var sealedValue = SealingKey.Seal(key, Encoding.UTF8.GetBytes(value), SealingContexts.SetSecret(name));
        return await h.SecretsHandler.HandleAsync(new SetSecret(Guid.NewGuid(), Guid.NewGuid(), h.Time.GetUtcNow(), name, sealedValue, "tester"), CancellationToken.None);
    }

    private static Task HeartbeatAsync(HandlerHarness h, string hostId, AgentIdentity identity) =>
        h.Inventory.HandleAsync(
            new HostHeartbeat(Guid.NewGuid(), Guid.NewGuid(), h.Time.GetUtcNow(), hostId, new Dictionary<string, string>(), "127.0.0.1",
                4000, 8L << 30, 4000, 8L << 30, [], [], Identity: identity),
            CancellationToken.None);
}
