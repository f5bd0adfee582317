using Microsoft.Extensions.Options;
using Workers.Intake.GitHub;
using Workers.Intake.Triggers;

namespace Workers.Intake.Tests.Triggers;

public sealed class TriggerRulesTests
{
    private const string Template = "name: web\nimage: ghcr.io/acme/web:latest\n";

    private const string Digest = "sha256:2f0ea8d9d9a3e9d12e0b1a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f";

    private static IntakeOptions Options(params TriggerRule[] rules)
    {
        var options = new IntakeOptions();
        options.Triggers.AddRange(rules);
        return options;
    }

    private static IOptions<IntakeOptions> Wrap(IntakeOptions options) => Microsoft.Extensions.Options.Options.Create(options);

    private static TriggerRule Rule(string @event = "push", string @ref = "refs/tags/v*", string? image = "ghcr.io/acme/web:{tag}", string repository = "acme/web") =>
        new() { Repository = repository, Event = @event, Ref = @ref, Spec = Template, Image = image };

    private static GitHubEvent Push(string @ref, string repository = "acme/web") =>
        new("push", repository, @ref, @ref.StartsWith("refs/tags/", StringComparison.Ordinal) ? @ref["refs/tags/".Length..] : null, null, "6113728f27ae82c7b1a177c8d03f9e96e0adf246", null);

    [Fact]
    public void Match_VersionTagPush_FillsTheTagIntoTheImage()
    {
        var match = Assert.Single(new TriggerRules(Wrap(Options(Rule()))).Match(Push("refs/tags/v1.4.2")));

        Assert.Equal("ghcr.io/acme/web:v1.4.2", match.Image);
        var rendered = match.Template.Render(match.Image, out var text);
        Assert.True(rendered.IsValid);
        Assert.Equal("ghcr.io/acme/web:v1.4.2", rendered.Spec!.Image.ToString());
        Assert.Contains("\"image\":\"ghcr.io/acme/web:v1.4.2\"", text, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("refs/heads/main")]
    [InlineData("refs/tags/1.4.2")]
    [InlineData("refs/tags/release-v1")]
    public void Match_RefOutsideThePattern_MatchesNothing(string @ref) =>
        Assert.Empty(new TriggerRules(Wrap(Options(Rule()))).Match(Push(@ref)));

    [Fact]
    public void Match_OtherRepository_MatchesNothing() =>
        Assert.Empty(new TriggerRules(Wrap(Options(Rule()))).Match(Push("refs/tags/v1", "acme/api")));

    [Fact]
    public void Match_RepositoryInOtherCase_Matches() =>
        Assert.Single(new TriggerRules(Wrap(Options(Rule()))).Match(Push("refs/tags/v1", "ACME/Web")));

    [Fact]
    public void Match_SameRefForPushAndReleaseRules_OnlyTheEventsKindMatches()
    {
        var rules = new TriggerRules(Wrap(Options(Rule("release"), Rule("push", image: "ghcr.io/acme/web:{short_sha}"))));

        var match = Assert.Single(rules.Match(Push("refs/tags/v1")));

        Assert.Equal((1, "ghcr.io/acme/web:6113728"), (match.Index, match.Image));
    }

    [Fact]
    public void Match_TwoRulesForOneEvent_BothMatchInOrder()
    {
        var rules = new TriggerRules(Wrap(Options(Rule(), Rule(@ref: "*"))));

        Assert.Equal([0, 1], rules.Match(Push("refs/tags/v2")).Select(m => m.Index));
    }

    [Fact]
    public void Match_PackageRule_MatchesOnlyItsPackage()
    {
        var rule = Rule("registry_package", "*", "ghcr.io/{repository}:{tag}");
        rule.Package = "web";
        var rules = new TriggerRules(Wrap(Options(rule)));

        Assert.Equal("ghcr.io/acme/web:3.1.0", Assert.Single(rules.Match(new GitHubEvent("package", "acme/web", "refs/tags/3.1.0", "3.1.0", null, null, "web"))).Image);
        Assert.Empty(rules.Match(new GitHubEvent("package", "acme/web", "refs/tags/3.1.0", "3.1.0", null, null, "web-worker")));
    }

    [Theory]
    [InlineData("ghcr.io/{repository}:{tag}", "ghcr.io/acme/web:3.1.0@" + Digest)]
    [InlineData("ghcr.io/{repository}", "ghcr.io/acme/web@" + Digest)]
    [InlineData("ghcr.io/{repository}@{digest}", "ghcr.io/acme/web@" + Digest)]
    public void Match_ContainerVersion_IsPinnedToItsDigest(string image, string expected)
    {
        var rules = new TriggerRules(Wrap(Options(Rule("package", "*", image))));

        var match = Assert.Single(rules.Match(new GitHubEvent("package", "acme/web", "refs/tags/3.1.0", "3.1.0", null, null, "web") { Digest = Digest }));

        Assert.Equal(expected, match.Image);
        Assert.Equal(expected, match.Template.Render(match.Image, out _).Spec!.Image.ToString());
    }

    [Fact]
    public void Match_UntaggedContainerVersionForATagImage_NamesTheMissingPlaceholder()
    {
        var rules = new TriggerRules(Wrap(Options(Rule("registry_package", "*", "ghcr.io/{repository}:{tag}"))));

        var match = Assert.Single(rules.Match(new GitHubEvent("package", "acme/web", string.Empty, null, null, null, "web") { Digest = Digest }));

        Assert.Equal(["{tag}"], match.Missing);
    }

    [Fact]
    public void Validate_DigestInAPushRule_IsReportedAsNeverGiven()
    {
        var errors = TriggerRules.Validate(Options(Rule(image: "ghcr.io/acme/web@{digest}")));

        Assert.Contains(errors, e => e.Contains("{digest}", StringComparison.Ordinal) && e.Contains("never gives", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("push")]
    [InlineData("release")]
    public void Validate_PackageOnARuleThatIsNotForPackages_IsRefusedAsItWouldNeverMatch(string @event)
    {
        var rule = Rule(@event, image: null);
        rule.Package = "web";

        var error = Assert.Single(TriggerRules.Validate(Options(rule)));

        Assert.Equal($"Workers:Intake:Triggers:0:Package 'web' applies to package events only; a {@event} event has no package, so the rule would never match", error);
    }

    [Theory]
    [InlineData("package")]
    [InlineData("registry_package")]
    public void Validate_PackageOnAPackageRule_IsAccepted(string @event)
    {
        var rule = Rule(@event, "*", "ghcr.io/{repository}@{digest}");
        rule.Package = "web";

        Assert.Empty(TriggerRules.Validate(Options(rule)));
    }

    [Fact]
    public void Match_RuleWithoutImage_KeepsTheTemplatesImage()
    {
        var match = Assert.Single(new TriggerRules(Wrap(Options(Rule(image: null)))).Match(Push("refs/tags/v1")));

        Assert.Equal("ghcr.io/acme/web:latest", match.Template.Render(match.Image, out _).Spec!.Image.ToString());
    }

    [Fact]
    public void Validate_EveryKindOfMistake_IsReportedWithItsRule()
    {
        var errors = TriggerRules.Validate(Options(
            Rule("pull_request"),
            new TriggerRule { Repository = "web", Spec = Template },
            new TriggerRule { Repository = "acme/web", Spec = Template, SpecFile = "web.yaml" },
            new TriggerRule { Repository = "acme/web", SpecFile = "/nonexistent/web.yaml" },
            new TriggerRule { Repository = "acme/web", Spec = "name: Web\nimage: x\nreplicas: 0\n" },
            Rule(image: "ghcr.io/acme/web:{tag}:{nope}")));

        Assert.Contains(errors, e => e.StartsWith("Workers:Intake:Triggers:0:Event 'pull_request'", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("Workers:Intake:Triggers:1:Repository 'web'", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("Workers:Intake:Triggers:2: set exactly one", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("Workers:Intake:Triggers:3:SpecFile", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("Workers:Intake:Triggers:4: template problem", StringComparison.Ordinal) && e.Contains("replicas", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("Workers:Intake:Triggers:5:Image", StringComparison.Ordinal));
    }

    [Fact]
    public void Validate_SpecFileTemplate_IsReadFromDisk()
    {
        var file = Path.Combine(Path.GetTempPath(), $"workers-template-{Guid.NewGuid():N}.yaml");
        File.WriteAllText(file, Template);
        try
        {
            Assert.Empty(TriggerRules.Validate(Options(new TriggerRule { Repository = "acme/web", SpecFile = file, Image = "ghcr.io/acme/web:{version}" })));
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Theory]
    [InlineData("refs/tags/v*", "refs/tags/v1.2.3", true)]
    [InlineData("refs/tags/v*", "refs/tags/v", true)]
    [InlineData("refs/tags/v*", "refs/tags/1.2.3", false)]
    [InlineData("refs/heads/main", "refs/heads/main", true)]
    [InlineData("refs/heads/main", "refs/heads/main2", false)]
    [InlineData("refs/heads/release/*", "refs/heads/release/2025/q1", true)]
    [InlineData("refs/tags/v?.*", "refs/tags/v1.0", true)]
    [InlineData("refs/tags/v?.*", "refs/tags/v10.0", false)]
    [InlineData("*", "anything", true)]
    [InlineData("a*b*c", "aXbYbZc", true)]
    [InlineData("a*b*c", "aXbYbZ", false)]
    public void Glob_Patterns_MatchAsDocumented(string pattern, string text, bool expected) =>
        Assert.Equal(expected, Glob.IsMatch(pattern, text));
}
