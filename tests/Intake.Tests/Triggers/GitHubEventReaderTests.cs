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

        Assert.Equal(new GitHubEvent("push", "acme/web", "refs/tags/v1.4.2", "v1.4.2", null, "6113728f27ae82c7b1a177c8d03f9e96e0adf246", null), read);
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
    public void Read_PublishedContainerPackage_GivesTheContainerTagNotTheDigest()
    {
        var read = GitHubEventReader.Read("registry_package", Payloads.Read("registry-package-published.json"), out _);

        Assert.Equal(("acme/web", "web", "3.1.0", "refs/tags/3.1.0"), (read!.Repository, read.Package, read.Tag, read.Ref));
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
