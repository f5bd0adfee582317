namespace Workers.Intake;

/// <summary>
/// Settings of the HTTP intake and the webhooks: section <c>Workers:Intake</c> (environment <c>Workers__Intake__…</c>),
/// with the secrets also read from <c>WORKERS_API_TOKENS</c>, <c>WORKERS_GITHUB_SECRET</c> and <c>WORKERS_WEBHOOK_SECRET</c>.
/// </summary>
public sealed class IntakeOptions
{
    public const string Section = "Workers:Intake";

    /// <summary>Bearer tokens that may use <c>/api/deployments</c> and <c>/api/hosts</c>; none configured refuses every call.</summary>
    public List<string> ApiTokens { get; } = [];

    /// <summary>The secret of the GitHub webhook; unset refuses every GitHub delivery.</summary>
    public string? GitHubSecret { get; set; }

    /// <summary>
    /// Standard Webhooks secrets (<c>whsec_</c> + base64), separated by spaces or commas: several are accepted at once
    /// while a secret is rotated. Unset refuses every delivery to <c>/api/hooks/events</c>.
    /// </summary>
    public string? WebhookSecret { get; set; }

    /// <summary>
    /// How many webhook bodies may be read at once before their signature is known (both webhooks together); past it a
    /// delivery is answered 429 unread. Each spools to a temporary file past 64 KiB, so memory stays flat.
    /// </summary>
    public int MaxUnverifiedBodies { get; set; } = 8;

    /// <summary>How long a webhook body may take to arrive before its signature is known; past it the answer is 408.</summary>
    public TimeSpan UnverifiedBodyTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>Which GitHub events deploy what.</summary>
    public List<TriggerRule> Triggers { get; } = [];
}

/// <summary>
/// One trigger rule: a GitHub event of <see cref="Repository"/> whose ref matches <see cref="Ref"/> deploys the spec
/// template with its image replaced by <see cref="Image"/>, in which <c>{tag}</c>, <c>{version}</c>, <c>{branch}</c>,
/// <c>{sha}</c>, <c>{short_sha}</c>, <c>{repository}</c>, <c>{package}</c> and <c>{digest}</c> are filled in from the event; a
/// container version is always pinned to its digest.
/// </summary>
public sealed class TriggerRule
{
    /// <summary><c>owner/name</c>, compared without regard to case.</summary>
    public string Repository { get; set; } = string.Empty;

    /// <summary><c>push</c>, <c>release</c> (published) or <c>package</c> (published; <c>registry_package</c> is the same event under its older name).</summary>
    public string Event { get; set; } = "push";

    /// <summary>
    /// A pattern (<c>*</c> any characters, <c>?</c> one) over the ref: <c>refs/heads/main</c>, <c>refs/tags/v*</c>. A
    /// release or a published container version has the ref <c>refs/tags/&lt;tag&gt;</c>.
    /// </summary>
    public string Ref { get; set; } = "*";

    /// <summary>For <c>package</c>: a pattern over the package name; unset matches any.</summary>
    public string? Package { get; set; }

    /// <summary>The spec template inline (YAML or JSON); exactly one of this and <see cref="SpecFile"/>.</summary>
    public string? Spec { get; set; }

    /// <summary>The path of the spec template file.</summary>
    public string? SpecFile { get; set; }

    /// <summary>The image to deploy, such as <c>ghcr.io/acme/web:{tag}</c>; unset keeps the template's image.</summary>
    public string? Image { get; set; }

    /// <summary>A short description of the rule for logs and answers.</summary>
    public override string ToString() => $"{Event} {Repository} {Ref}";
}
