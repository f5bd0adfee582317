using System.Globalization;
using System.Text.RegularExpressions;

namespace Workers.Intake.GitHub;

/// <summary>
/// The <c>RequestedBy</c> of a deployment a GitHub event asked for, such as
/// <c>github:acme/web@refs/tags/v1.4.2 6113728f27ae at 2025-06-01T12:00:00Z by rule 0</c>: readable in
/// <c>workers history</c>, and read back by the intake to find the newest event a rule has acted on.
/// </summary>
internal static partial class GitHubOrigin
{
    public static string Format(GitHubEvent @event, int rule)
    {
        var what = @event.Ref.Length > 0 ? @event.Ref : @event.Digest ?? string.Empty;
        var at = @event.At is { } time ? $" at {time.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture)}" : string.Empty;
        return $"github:{@event.Repository}@{what} {@event.Names}{at} by rule {rule.ToString(CultureInfo.InvariantCulture)}";
    }

    /// <summary>When the event that requested a deployment happened, if <paramref name="requestedBy"/> is this rule's record of one.</summary>
    public static DateTimeOffset? ActedAt(string requestedBy, string repository, int rule)
    {
        var match = Pattern().Match(requestedBy);
        return match.Success
            && string.Equals(match.Groups["repository"].Value, repository, StringComparison.OrdinalIgnoreCase)
            && match.Groups["rule"].Value == rule.ToString(CultureInfo.InvariantCulture)
            && DateTimeOffset.TryParse(match.Groups["at"].Value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at)
                ? at
                : null;
    }

    [GeneratedRegex(@"^github:(?<repository>[^@\s]+)@\S* .* at (?<at>\S+) by rule (?<rule>\d+)$", RegexOptions.CultureInvariant, matchTimeoutMilliseconds: 1000)]
    private static partial Regex Pattern();
}
