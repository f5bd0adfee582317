using Microsoft.Extensions.Options;
using Workers.Intake.GitHub;

namespace Workers.Intake.Triggers;

/// <summary>A rule that matched an event, with its template and the image it fills in.</summary>
/// <param name="Index">The rule's position in configuration (part of the deployment id, so a redelivery is the same deployment).</param>
/// <param name="Rule">The rule as configured.</param>
/// <param name="Template">The spec template.</param>
/// <param name="Image">The image for this event, or null to keep the template's.</param>
/// <param name="Missing">Placeholders of the rule's image this event gives no value for (an untagged container version has no <c>{tag}</c>).</param>
public sealed record TriggerMatch(int Index, TriggerRule Rule, SpecTemplate Template, string? Image, IReadOnlyList<string> Missing);

/// <summary>The configured trigger rules with their templates loaded; matches GitHub events against them.</summary>
public sealed class TriggerRules
{
    private static readonly string[] Events = ["push", "release", "package", "registry_package"];

    private static readonly GitHubEvent Sample = new("push", "acme/web", "refs/tags/v1.0.0", "v1.0.0", "main", "0123456789abcdef0123456789abcdef01234567", "web");

    private static readonly GitHubEvent SamplePackage = new(GitHubEventReader.PackageKind, "acme/web", "refs/tags/v1.0.0", "v1.0.0", null, "0123456789abcdef0123456789abcdef01234567", "web")
    {
        Digest = "sha256:" + new string('0', 64),
    };

    private readonly IReadOnlyList<(TriggerRule Rule, SpecTemplate Template)> _rules;

    public TriggerRules(IOptions<IntakeOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var errors = new List<string>();
        _rules = Load(options.Value, errors);
        if (errors.Count > 0)
        {
            throw new OptionsValidationException(IntakeOptions.Section, typeof(IntakeOptions), errors);
        }
    }

    /// <summary>The rules that match <paramref name="event"/>, in configuration order.</summary>
    public IReadOnlyList<TriggerMatch> Match(GitHubEvent @event)
    {
        ArgumentNullException.ThrowIfNull(@event);
        var values = @event.Values();
        var matches = new List<TriggerMatch>();
        for (var i = 0; i < _rules.Count; i++)
        {
            var (rule, template) = _rules[i];
            if (string.Equals(GitHubEventReader.KindOf(rule.Event.ToLowerInvariant()), @event.Kind, StringComparison.Ordinal)
                && string.Equals(rule.Repository, @event.Repository, StringComparison.OrdinalIgnoreCase)
                && Glob.IsMatch(rule.Ref, @event.Ref)
                && (rule.Package is null || (@event.Package is { } package && Glob.IsMatch(rule.Package, package))))
            {
                matches.Add(new TriggerMatch(i, rule, template, ImageFor(rule, @event, values), rule.Image is null ? [] : SpecTemplate.Unfilled(rule.Image, values)));
            }
        }

        return matches;
    }

    /// <summary>
    /// The rule's image filled in; for a container version, pinned to its digest (appended when the rule's image does
    /// not place <c>{digest}</c> itself), so that what runs is the version GitHub announced even if its tag moves.
    /// </summary>
    private static string? ImageFor(TriggerRule rule, GitHubEvent @event, IReadOnlyDictionary<string, string> values)
    {
        if (rule.Image is null)
        {
            return null;
        }

        var image = SpecTemplate.Fill(rule.Image, values);
        return @event.Digest is { } digest && !image.Contains('@', StringComparison.Ordinal) ? $"{image}@{digest}" : image;
    }

    /// <summary>Every problem of the configured rules: unknown events, missing or broken templates, images that cannot be filled in.</summary>
    public static IReadOnlyList<string> Validate(IntakeOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var errors = new List<string>();
        Load(options, errors);
        return errors;
    }

    private static List<(TriggerRule, SpecTemplate)> Load(IntakeOptions options, List<string> errors)
    {
        var rules = new List<(TriggerRule, SpecTemplate)>();
        for (var i = 0; i < options.Triggers.Count; i++)
        {
            var rule = options.Triggers[i];
            var at = $"{IntakeOptions.Section}:Triggers:{i}";
            if (!Events.Contains(rule.Event, StringComparer.OrdinalIgnoreCase))
            {
                errors.Add($"{at}:Event '{rule.Event}' is not one of {string.Join(", ", Events)}");
            }

            if (string.IsNullOrWhiteSpace(rule.Repository) || rule.Repository.Count(c => c == '/') != 1)
            {
                errors.Add($"{at}:Repository '{rule.Repository}' is not owner/name");
            }

            if (string.IsNullOrWhiteSpace(rule.Ref))
            {
                errors.Add($"{at}:Ref is empty; '*' matches every ref");
            }

            // A push or a release names no package: a rule that asks for one would never match, and say nothing.
            if (rule.Package is not null && Events.Contains(rule.Event, StringComparer.OrdinalIgnoreCase)
                && GitHubEventReader.KindOf(rule.Event.ToLowerInvariant()) != GitHubEventReader.PackageKind)
            {
                errors.Add($"{at}:Package '{rule.Package}' applies to package events only; a {rule.Event} event has no package, so the rule would never match");
            }

            if (string.IsNullOrWhiteSpace(rule.Spec) == string.IsNullOrWhiteSpace(rule.SpecFile))
            {
                errors.Add($"{at}: set exactly one of Spec (inline) and SpecFile");
                continue;
            }

            string text;
            var source = rule.SpecFile ?? $"{at}:Spec";
            try
            {
                text = rule.Spec ?? File.ReadAllText(rule.SpecFile!);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                errors.Add($"{at}:SpecFile '{rule.SpecFile}' cannot be read: {e.Message}");
                continue;
            }

            if (SpecTemplate.Load(text, source, out var problems) is not { } template)
            {
                errors.AddRange(problems.Select(p => $"{at}: template problem {p}"));
                continue;
            }

            var example = GitHubEventReader.KindOf(rule.Event.ToLowerInvariant()) == GitHubEventReader.PackageKind ? SamplePackage : Sample;
            if (rule.Image is not null && SpecTemplate.Unfilled(rule.Image, example.Values()) is [_, ..] unknown)
            {
                errors.Add($"{at}:Image '{rule.Image}' uses {string.Join(", ", unknown)}, which a {rule.Event} event never gives");
                continue;
            }

            var sample = rule.Image is null ? null : ImageFor(rule, example, example.Values());
            var rendered = template.Render(sample, out _);
            if (!rendered.IsValid)
            {
                errors.AddRange(rendered.Problems.Select(p => $"{at}:Image '{rule.Image}' gives '{sample}' for tag v1.0.0: {p.Message}"));
                continue;
            }

            rules.Add((rule, template));
        }

        return rules;
    }
}
