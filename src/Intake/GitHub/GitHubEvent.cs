using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Workers.Intake.GitHub;

/// <summary>What a GitHub event says that a trigger rule can match: repository, event kind, ref and what it names.</summary>
/// <param name="Kind"><c>push</c>, <c>release</c> or <c>package</c> (GitHub's <c>package</c> and <c>registry_package</c> events).</param>
/// <param name="Repository"><c>owner/name</c>.</param>
/// <param name="Ref">The full ref: <c>refs/heads/main</c>, <c>refs/tags/v1.2.0</c>; empty for an untagged container version.</param>
/// <param name="Tag">The tag, for a tag push, a release or a tagged package version.</param>
/// <param name="Branch">The branch, for a branch push.</param>
/// <param name="Sha">The commit, when the event names one.</param>
/// <param name="Package">The package name, for a package event.</param>
public sealed record GitHubEvent(string Kind, string Repository, string Ref, string? Tag, string? Branch, string? Sha, string? Package)
{
    /// <summary>A container version's digest (<c>sha256:</c> and 64 hex digits); the image is pinned to it.</summary>
    public string? Digest { get; init; }

    /// <summary>
    /// What the event is, whatever delivery carried it: a push by repository, ref and <c>after</c> (a forced push also
    /// by <c>before</c>: moving a ref back is an explicit rollback), a release or package version by its id. Acting on
    /// the same identity twice deploys nothing.
    /// </summary>
    public string Identity { get; init; } = string.Empty;

    /// <summary>The short form of what it names, for the record: the commit's first 12 digits, the release or version id.</summary>
    public string Names { get; init; } = string.Empty;

    /// <summary>
    /// When it happened by GitHub's clock, to order events of one rule: a push's <c>repository.pushed_at</c>, a
    /// release's <c>published_at</c>, a package version's <c>created_at</c> (or the package's <c>updated_at</c> when
    /// GitHub gives the version none). Null when the payload has none.
    /// </summary>
    public DateTimeOffset? At { get; init; }

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

        if (Digest is not null)
        {
            values["digest"] = Digest;
        }

        return values;
    }
}

/// <summary>Reads the parts of GitHub's <c>push</c>, <c>release</c> and <c>package</c>/<c>registry_package</c> payloads that rules match on.</summary>
public static partial class GitHubEventReader
{
    /// <summary>The event name GitHub uses for package events now; <c>registry_package</c> is the older name of the same event.</summary>
    public const string PackageKind = "package";

    private const string Tags = "refs/tags/";
    private const string Heads = "refs/heads/";
    private const string NoCommit = "0000000000000000000000000000000000000000";

    /// <summary><c>registry_package</c> and <c>package</c> are one kind; other names are themselves.</summary>
    public static string KindOf(string eventName) => eventName is "registry_package" ? PackageKind : eventName;

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

            return KindOf(eventName) switch
            {
                "push" => ReadPush(root, out reason),
                "release" => ReadRelease(root, out reason),
                PackageKind => ReadPackage(eventName, root, out reason),
                _ => Refuse($"'{eventName}' events do not deploy", out reason),
            };
        }
    }

    private static GitHubEvent? ReadPush(JsonElement root, out string reason)
    {
        var repository = String(root, "repository", "full_name");
        var pushed = String(root, "ref");
        var after = String(root, "after");

        // A ref deleted has no commit after the push, whatever "deleted" says.
        if (Bool(root, "deleted") || after == NoCommit)
        {
            return Refuse("the push deletes its ref", out reason);
        }

        if (repository is null || pushed is null || after is null)
        {
            return Refuse("the push names no repository, ref or commit after it", out reason);
        }

        var forced = Bool(root, "forced");
        var before = String(root, "before") ?? NoCommit;
        reason = string.Empty;
        var at = Time(root, "repository", "pushed_at");
        return new GitHubEvent(
            "push",
            repository,
            pushed,
            pushed.StartsWith(Tags, StringComparison.Ordinal) ? pushed[Tags.Length..] : null,
            pushed.StartsWith(Heads, StringComparison.Ordinal) ? pushed[Heads.Length..] : null,
            after,
            null)
        {
            // The push itself, not its delivery: a redelivery or a replay under a new delivery id carries the same
            // refs and the same pushed_at; pushing a commit again after a rollback (before..after seen once already)
            // is a new push with a later pushed_at.
            Identity = $"push {repository.ToLowerInvariant()} {pushed} {before}..{after}{(forced ? " forced" : string.Empty)}"
                + (at is { } t ? $" at {t.ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture)}" : string.Empty),
            Names = after.Length > 12 ? after[..12] : after,
            At = at,
        };
    }

    private static GitHubEvent? ReadRelease(JsonElement root, out string reason)
    {
        var action = String(root, "action");
        if (action != "published")
        {
            return Refuse($"release action '{action}' is not 'published'", out reason);
        }

        var repository = String(root, "repository", "full_name");
        var released = String(root, "release", "tag_name");
        var id = Number(root, "release", "id");
        if (repository is null || released is null || id is null)
        {
            return Refuse("the release names no repository, tag or id", out reason);
        }

        reason = string.Empty;
        return new GitHubEvent("release", repository, Tags + released, released, null, null, null)
        {
            Identity = $"release {repository.ToLowerInvariant()} {id}",
            Names = $"release {id}",
            At = Time(root, "release", "published_at"),
        };
    }

    private static GitHubEvent? ReadPackage(string eventName, JsonElement root, out string reason)
    {
        var action = String(root, "action");
        if (action != "published")
        {
            return Refuse($"{eventName} action '{action}' is not 'published'", out reason);
        }

        if (!root.TryGetProperty(eventName, out var package) || package.ValueKind != JsonValueKind.Object)
        {
            return Refuse($"the payload has no '{eventName}' object", out reason);
        }

        var name = String(package, "name");
        var versionId = Number(package, "package_version", "id");
        var version = String(package, "package_version", "version");

        // A container version is its manifest's digest; its tag, if it was pushed with one, is in container_metadata.
        var digest = version is not null && Digest().IsMatch(version) ? version : null;
        var tag = String(package, "package_version", "container_metadata", "tag", "name") is { Length: > 0 } t ? t : digest is null ? version : null;
        var repository = String(root, "repository", "full_name")
            ?? (String(package, "namespace") is { } owner && name is not null ? $"{owner}/{name}" : null);
        if (repository is null || name is null || versionId is null || (tag is null && digest is null))
        {
            return Refuse("the package names no repository, name, version or version id", out reason);
        }

        reason = string.Empty;
        var created = Time(package, "package_version", "created_at");
        return new GitHubEvent(PackageKind, repository, tag is null ? string.Empty : Tags + tag, tag, null, String(package, "package_version", "target_oid"), name)
        {
            Digest = digest,
            Identity = $"package {repository.ToLowerInvariant()} {versionId}",
            Names = $"package version {versionId}",

            // Container versions come with created_at 0001-01-01; the package's updated_at is then the publish time.
            At = created is { Year: > 2000 } ? created : Time(package, "updated_at"),
        };
    }

    private static GitHubEvent? Refuse(string why, out string reason)
    {
        reason = why;
        return null;
    }

    private static JsonElement? Find(JsonElement element, params string[] path)
    {
        foreach (var name in path)
        {
            if (element.ValueKind != JsonValueKind.Object || !element.TryGetProperty(name, out element))
            {
                return null;
            }
        }

        return element;
    }

    private static string? String(JsonElement element, params string[] path) =>
        Find(element, path) is { ValueKind: JsonValueKind.String } found ? found.GetString() : null;

    private static bool Bool(JsonElement element, params string[] path) => Find(element, path) is { ValueKind: JsonValueKind.True };

    private static string? Number(JsonElement element, params string[] path) =>
        Find(element, path) is { ValueKind: JsonValueKind.Number } found && found.TryGetInt64(out var number) ? number.ToString(CultureInfo.InvariantCulture) : null;

    // GitHub gives pushed_at in a push as Unix seconds and every other time as ISO 8601.
    private static DateTimeOffset? Time(JsonElement element, params string[] path) => Find(element, path) switch
    {
        { ValueKind: JsonValueKind.Number } seconds when seconds.TryGetInt64(out var unix) && unix > 0 && unix < 253402300800 => DateTimeOffset.FromUnixTimeSeconds(unix),
        { ValueKind: JsonValueKind.String } text when DateTimeOffset.TryParse(text.GetString(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at) => at.ToUniversalTime(),
        _ => null,
    };

    [GeneratedRegex("^sha256:[0-9a-f]{64}$", RegexOptions.CultureInvariant, matchTimeoutMilliseconds: 1000)]
    private static partial Regex Digest();
}
