namespace Workers.Transport;

/// <summary>
/// How a program refuses its settings at start: every problem in one message, each naming its setting, and no secret
/// in it (a broker URL's password, a connection string's key, a token, PEM text are masked by <see cref="Mask"/>).
/// </summary>
public static class SettingProblems
{
    private const string Hidden = "***";

    private static readonly string[] SecretKeys = ["SharedAccessKey", "SharedAccessSignature", "AccountKey", "Password", "Pwd", "Token", "ClientSecret"];

    /// <summary>One message for every problem: <c>PROGRAM: PROBLEM</c>, or <c>PROGRAM: N settings refused: A; B</c>.</summary>
    public static string Message(string program, IReadOnlyList<string> problems) => $"{program}: {Join(problems)}";

    /// <summary>The problems as one sentence: the one problem, or <c>N settings refused: A; B</c>.</summary>
    public static string Join(IReadOnlyList<string> problems)
    {
        ArgumentNullException.ThrowIfNull(problems);
        return problems.Count == 1 ? problems[0] : $"{problems.Count} settings refused: {string.Join("; ", problems)}";
    }

    /// <summary>
    /// A setting's value as it may be shown: PEM text not at all, a URL's password and the secret parts of a
    /// <c>key=value;…</c> connection string as <c>***</c>; anything else as given.
    /// </summary>
    public static string Mask(string? value)
    {
        if (string.IsNullOrEmpty(value))
        {
            return string.Empty;
        }

        if (value.Contains("-----BEGIN", StringComparison.Ordinal))
        {
            return "(PEM text, not shown)";
        }

        var scheme = value.IndexOf("://", StringComparison.Ordinal);
        var at = value.LastIndexOf('@');
        if (scheme > 0 && at > scheme)
        {
            var user = value[(scheme + 3)..at];
            var colon = user.IndexOf(':', StringComparison.Ordinal);
            return colon < 0 ? value : $"{value[..(scheme + 3)]}{user[..colon]}:{Hidden}{value[at..]}";
        }

        if (value.Contains('=', StringComparison.Ordinal))
        {
            return string.Join(';', value.Split(';').Select(part => part.Split('=', 2) is [var key, _] && SecretKeys.Contains(key.Trim(), StringComparer.OrdinalIgnoreCase) ? $"{key}={Hidden}" : part));
        }

        return value;
    }
}
