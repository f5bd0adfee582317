using System.Text;
using Workers.Intake.GitHub;
using Workers.Intake.Tests.Support;

namespace Workers.Intake.Tests.Triggers;

public sealed class GitHubEventReaderTests
{
    [Fact]
    public void Read_TagPush_GivesTagRefAndCommit()
    {
        var read = GitHubEventReader.Read("push", Payloads.Read("push-tag.json"), out _);

        Assert.Equal(new GitHubEvent("push", "acme/web", "refs/tags/v1.4.2", "v1.4.2", null, "6113728f27ae82c7b1a177c8d03f9e96e0adf246", null), read! with { Identity = string.Empty, Names = string.Empty, At = null });
        Assert.Equal("push acme/web refs/tags/v1.4.2 0000000000000000000000000000000000000000..6113728f27ae82c7b1a177c8d03f9e96e0adf246 at 1557933657", read.Identity);
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(1557933657), read.At);
    }

    [Fact]
    public void Read_SamePushUnderAnyDelivery_HasOneIdentityAndAForcedPushAnother()
    {
        var body = Encoding.UTF8.GetString(Payloads.Read("push-tag.json"));
        var forced = body.Replace("\"forced\": false", "\"forced\": true", StringComparison.Ordinal);

        var first = GitHubEventReader.Read("push", Encoding.UTF8.GetBytes(body), out _)!;
        var again = GitHubEventReader.Read("push", Encoding.UTF8.GetBytes(body), out _)!;
        var rollback = GitHubEventReader.Read("push", Encoding.UTF8.GetBytes(forced), out _)!;

        Assert.Equal(first.Identity, again.Identity);
        Assert.NotEqual(first.Identity, rollback.Identity);
        Assert.Contains(" forced", rollback.Identity, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_SameRefsPushedAgainLater_IsAnotherPush()
    {
        // A→B, a forced push back to A, then A→B once more: the last is new (a later pushed_at), not a replay of the first.
        var body = Encoding.UTF8.GetString(Payloads.Read("push-tag.json"));
        var later = body.Replace("1557933657", "1557937257", StringComparison.Ordinal);

        var first = GitHubEventReader.Read("push", Encoding.UTF8.GetBytes(body), out _)!;
        var again = GitHubEventReader.Read("push", Encoding.UTF8.GetBytes(later), out _)!;

        Assert.NotEqual(first.Identity, again.Identity);
        Assert.True(again.At > first.At);
    }

    [Fact]
    public void Read_PushWithAllZeroAfter_IsADeletionWhateverDeletedSays()
    {
        var body = Encoding.UTF8.GetString(Payloads.Read("push-tag.json")).Replace("\"after\": \"6113728f27ae82c7b1a177c8d03f9e96e0adf246\"", "\"after\": \"0000000000000000000000000000000000000000\"", StringComparison.Ordinal);
        Assert.Contains("\"deleted\": false", body, StringComparison.Ordinal);

        Assert.Null(GitHubEventReader.Read("push", Encoding.UTF8.GetBytes(body), out var reason));
        Assert.Contains("deletes", reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_BranchPush_GivesBranchAndNoTag()
    {
        var read = GitHubEventReader.Read("push", Payloads.Read("push-branch.json"), out _);

        Assert.Equal(("refs/heads/main", "main", (string?)null), (read!.Ref, read.Branch, read.Tag));
    }

    [Fact]
    public void Read_PublishedRelease_GivesItsTag()
    {
        var read = GitHubEventReader.Read("release", Payloads.Read("release-published.json"), out _);

        Assert.Equal(("release", "acme/web", "refs/tags/v2.0.0", "v2.0.0"), (read!.Kind, read.Repository, read.Ref, read.Tag));
    }

    [Fact]
    public void Read_PublishedContainerPackage_GivesTheContainerTagAndTheDigest()
    {
        var read = GitHubEventReader.Read("registry_package", Payloads.Read("registry-package-published.json"), out _);

        Assert.Equal(("package", "acme/web", "web", "3.1.0", "refs/tags/3.1.0"), (read!.Kind, read.Repository, read.Package, read.Tag, read.Ref));
        Assert.Equal("sha256:2f0ea8d9d9a3e9d12e0b1a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f", read.Digest);
        Assert.Equal(("package acme/web 190418339", new DateTimeOffset(2024, 3, 1, 10, 0, 0, TimeSpan.Zero)), (read.Identity, read.At));
    }

    [Fact]
    public void Read_ReleaseCreatedNotPublished_DeploysNothingAndSaysWhy()
    {
        var body = Encoding.UTF8.GetString(Payloads.Read("release-published.json")).Replace("\"action\": \"published\"", "\"action\": \"created\"", StringComparison.Ordinal);

        Assert.Null(GitHubEventReader.Read("release", Encoding.UTF8.GetBytes(body), out var reason));
        Assert.Contains("'created'", reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_DeletedTagPush_DeploysNothing()
    {
        var body = Encoding.UTF8.GetString(Payloads.Read("push-tag.json")).Replace("\"deleted\": false", "\"deleted\": true", StringComparison.Ordinal);

        Assert.Null(GitHubEventReader.Read("push", Encoding.UTF8.GetBytes(body), out var reason));
        Assert.Contains("deletes", reason, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("issues", "{}")]
    [InlineData("push", "[]")]
    [InlineData("push", "not json")]
    [InlineData("push", "{\"ref\": 5}")]
    public void Read_OtherEventsOrShapes_DeploysNothing(string @event, string body) =>
        Assert.Null(GitHubEventReader.Read(@event, Encoding.UTF8.GetBytes(body), out _));

    [Fact]
    public void Values_VersionTag_StripsTheLeadingVAndLowercasesTheRepository()
    {
        var values = new GitHubEvent("push", "Acme/Web", "refs/tags/v1.2.3", "v1.2.3", null, "6113728f27ae82c7b1a177c8d03f9e96e0adf246", null).Values();

        Assert.Equal(("1.2.3", "acme/web", "6113728"), (values["version"], values["repository"], values["short_sha"]));
    }
}
