using System.Text.Json;

namespace Workers.Intake.GitHub;

/// <summary>What a GitHub event says that a trigger rule can match: repository, event kind, ref and what it names.</summary>
/// <param name="Kind"><c>push</c>, <c>release</c> or <c>registry_package</c>.</param>
/// <param name="Repository"><c>owner/name</c>.</param>
/// <param name="Ref">The full ref: <c>refs/heads/main</c>, <c>refs/tags/v1.2.0</c>.</param>
/// <param name="Tag">The tag, for a tag push, a release or a container version.</param>
/// <param name="Branch">The branch, for a branch push.</param>
/// <param name="Sha">The commit, when the event names one.</param>
/// <param name="Package">The package name, for <c>registry_package</c>.</param>
public sealed record GitHubEvent(string Kind, string Repository, string Ref, string? Tag, string? Branch, string? Sha, string? Package)
{
    /// <summary>The values a rule's image template may use.</summary>
    public IReadOnlyDictionary<string, string> Values()
    {
        // Image names are lowercase; GitHub repository names need not be.
        var values = new Dictionary<string, string>(StringComparer.Ordinal) { ["repository"] = Repository.ToLowerInvariant(), ["ref"] = Ref };
        if (Tag is not null)
        {
            values["tag"] = Tag;
            values["version"] = Tag.Length > 1 && Tag[0] is 'v' or 'V' && char.IsAsciiDigit(Tag[1]) ? Tag[1..] : Tag;
        }

        if (Branch is not null)
        {
            values["branch"] = Branch;
        }

        if (Sha is not null)
        {
            values["sha"] = Sha;
            values["short_sha"] = Sha.Length > 7 ? Sha[..7] : Sha;
        }

        if (Package is not null)
        {
            values["package"] = Package;
        }

        return values;
    }
}

/// <summary>Reads the parts of GitHub's <c>push</c>, <c>release</c> and <c>registry_package</c> payloads that rules match on.</summary>
public static class GitHubEventReader
{
    private const string Tags = "refs/tags/";
    private const string Heads = "refs/heads/";

    /// <summary>The event, or null with the reason it does not deploy anything (another event, another action, a deleted ref).</summary>
    public static GitHubEvent? Read(string eventName, ReadOnlySpan<byte> body, out string reason)
    {
        reason = string.Empty;
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(body.ToArray());
        }
        catch (JsonException)
        {
            reason = "the payload is not JSON";
            return null;
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                reason = "the payload is not a JSON object";
                return null;
            }

            var repository = String(root, "repository", "full_name");
            var action = String(root, "action");
            switch (eventName)
            {
                case "push":
                    if (root.TryGetProperty("deleted", out var deleted) && deleted.ValueKind == JsonValueKind.True)
                    {
                        reason = "the push deletes its ref";
                        return null;
                    }

                    var pushed = String(root, "ref");
                    if (repository is null || pushed is null)
                    {
                        reason = "the push names no repository or ref";
                        return null;
                    }

                    return new GitHubEvent(
                        "push",
                        repository,
                        pushed,
                        pushed.StartsWith(Tags, StringComparison.Ordinal) ? pushed[Tags.Length..] : null,
                        pushed.StartsWith(Heads, StringComparison.Ordinal) ? pushed[Heads.Length..] : null,
                        String(root, "after"),
                        null);

                case "release":
                    if (action != "published")
                    {
                        reason = $"release action '{action}' is not 'published'";
                        return null;
                    }

                    var released = String(root, "release", "tag_name");
                    if (repository is null || released is null)
                    {
                        reason = "the release names no repository or tag";
                        return null;
                    }

                    return new GitHubEvent("release", repository, Tags + released, released, null, null, null);

                case "registry_package":
                    if (action != "published")
                    {
                        reason = $"registry_package action '{action}' is not 'published'";
                        return null;
                    }

                    var name = String(root, "registry_package", "name");
                    var tag = String(root, "registry_package", "package_version", "container_metadata", "tag", "name") is { Length: > 0 } t
                        ? t
                        : String(root, "registry_package", "package_version", "version");
                    repository ??= String(root, "registry_package", "namespace") is { } owner && name is not null ? $"{owner}/{name}" : null;
                    if (repository is null || tag is null)
                    {
                        reason = "the package names no repository or version";
                        return null;
                    }

                    return new GitHubEvent("registry_package", repository, Tags + tag, tag, null, String(root, "registry_package", "package_version", "target_oid"), name);

                default:
                    reason = $"'{eventName}' events do not deploy";
                    return null;
            }
        }
    }

    private static string? String(JsonElement element, params string[] path)
    {
        foreach (var name in path)
        {
            if (element.ValueKind != JsonValueKind.Object || !element.TryGetProperty(name, out element))
            {
                return null;
            }
        }

        return element.ValueKind == JsonValueKind.String ? element.GetString() : null;
    }
}
