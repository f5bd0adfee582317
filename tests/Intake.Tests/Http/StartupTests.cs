using Microsoft.Extensions.Options;
using Workers.Intake.Tests.Support;

namespace Workers.Intake.Tests.Http;

public sealed class StartupTests
{
    [Fact]
    public async Task Start_BrokenTriggerTemplate_FailsNamingTheRule()
    {
        var settings = IntakeHarness.DefaultSettings();
        settings["Workers:Intake:Triggers:1:Spec"] = "name: web\nimage: ghcr.io/acme/web:1\nreplicas: many\n";

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => IntakeHarness.StartAsync(settings));

        Assert.Contains(error.Failures, f => f.StartsWith("Workers:Intake:Triggers:1: template problem", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Start_WebhookSecretNotBase64_FailsWithoutEchoingIt()
    {
        var settings = IntakeHarness.DefaultSettings();
        settings["WORKERS_WEBHOOK_SECRET"] = "whsec_this-is-not-base64!";

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => IntakeHarness.StartAsync(settings));

        Assert.Contains(error.Failures, f => f.StartsWith("WORKERS_WEBHOOK_SECRET", StringComparison.Ordinal));
        Assert.DoesNotContain("not-base64", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Start_RulesWithoutGitHubSecret_Fails()
    {
        var settings = IntakeHarness.DefaultSettings();
        settings.Remove("WORKERS_GITHUB_SECRET");

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => IntakeHarness.StartAsync(settings));

        Assert.Contains(error.Failures, f => f.Contains("WORKERS_GITHUB_SECRET", StringComparison.Ordinal));
    }
}
