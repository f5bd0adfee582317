using System.Diagnostics.CodeAnalysis;
using System.Text;

namespace Workers.Contracts.Spec;

/// <summary>
/// A Docker image reference such as <c>registry.example.com:5000/team/web:1.2@sha256:…</c>, parsed with the
/// grammar of <c>github.com/distribution/reference</c> as <c>docker pull</c> applies it
/// (<c>ParseNormalizedNamed</c>), but without normalisation: the parts are kept exactly as written, so
/// <c>nginx</c> stays <c>nginx</c> (no <c>docker.io/library/</c> prefix and no implicit <c>latest</c> tag).
/// </summary>
/// <remarks>
/// <para>Grammar: <c>reference := name [ ":" tag ] [ "@" digest ]</c>, <c>name := [domain "/"] path</c>.</para>
/// <para>The first <c>/</c>-separated component is a <see cref="Domain"/> only when it contains <c>.</c> or
/// <c>:</c>, is exactly <c>localhost</c>, or contains an uppercase letter (as <c>splitDockerDomain</c> does).</para>
/// <para>Instances are created only by <see cref="TryParse"/>; <see cref="ToString"/> gives canonical text that
/// parses back to an equal value.</para>
/// </remarks>
public sealed record ImageReference
{
    /// <summary>The longest input looked at; longer text is rejected before any further work.</summary>
    internal const int MaxInputLength = 4096;

    /// <summary>The longest name (domain, <c>/</c> and path) the registry accepts.</summary>
    internal const int MaxNameLength = 255;

    /// <summary>The longest tag the registry accepts.</summary>
    internal const int MaxTagLength = 128;

    private ImageReference(string? domain, string path, string? tag, string? digest)
    {
        Domain = domain;
        Path = path;
        Tag = tag;
        Digest = digest;
    }

    /// <summary>
    /// The registry host with optional port, e.g. <c>registry.example.com:5000</c>, <c>[::1]:5000</c> or
    /// <c>localhost</c>; <see langword="null"/> when the reference names no registry.
    /// </summary>
    public string? Domain { get; }

    /// <summary>The repository path as written, e.g. <c>team/web</c> or <c>nginx</c>.</summary>
    public string Path { get; }

    /// <summary>The tag, e.g. <c>1.2.3</c>; <see langword="null"/> when none was given.</summary>
    public string? Tag { get; }

    /// <summary>The content digest, e.g. <c>sha256:</c> followed by 64 lowercase hex digits; <see langword="null"/> when none was given.</summary>
    public string? Digest { get; }

    /// <summary>
    /// Parses an image reference. Never throws for bad input.
    /// </summary>
    /// <param name="text">The text to parse, e.g. <c>ghcr.io/team/web:1.2</c>.</param>
    /// <param name="reference">The parsed reference when the text is valid; otherwise <see langword="null"/>.</param>
    /// <param name="error">A short human-readable message when the text is invalid; otherwise <see langword="null"/>.</param>
    /// <returns><see langword="true"/> when <paramref name="text"/> is a valid image reference.</returns>
    public static bool TryParse(
        string? text,
        [NotNullWhen(true)] out ImageReference? reference,
        [NotNullWhen(false)] out string? error)
    {
        reference = null;
        error = Parse(text, out var domain, out var path, out var tag, out var digest);
        if (error is not null)
        {
            return false;
        }

        reference = new ImageReference(domain, path!, tag, digest);
        return true;
    }

    /// <summary>Returns the canonical text <c>[domain/]path[:tag][@digest]</c>, which round-trips through <see cref="TryParse"/>.</summary>
    /// <returns>The canonical reference text.</returns>
    public override string ToString()
    {
        var builder = new StringBuilder();
        if (Domain is not null)
        {
            builder.Append(Domain).Append('/');
        }

        builder.Append(Path);
        if (Tag is not null)
        {
            builder.Append(':').Append(Tag);
        }

        if (Digest is not null)
        {
            builder.Append('@').Append(Digest);
        }

        return builder.ToString();
    }

    private static string? Parse(string? text, out string? domain, out string? path, out string? tag, out string? digest)
    {
        domain = null;
        path = null;
        tag = null;
        digest = null;

        if (string.IsNullOrWhiteSpace(text))
        {
            return "image reference must not be empty";
        }

        if (text.Length > MaxInputLength)
        {
            return $"image reference must not be more than {MaxInputLength} characters";
        }

        // ParseNormalizedNamed refuses a bare 64-hex string: it is an image ID, not a repository name.
        if (text.Length == 64 && IsLowerHex(text))
        {
            return "image reference must not be a 64-character hexadecimal image ID";
        }

        var rest = text;
        var at = text.IndexOf('@', StringComparison.Ordinal);
        if (at >= 0)
        {
            var digestError = ValidateDigest(text[(at + 1)..]);
            if (digestError is not null)
            {
                return digestError;
            }

            digest = text[(at + 1)..];
            rest = text[..at];
        }

        if (rest.Length == 0)
        {
            return "repository name must not be empty";
        }

        // splitDockerDomain: the first component is a registry only if it looks like one.
        var remainder = rest;
        var slash = rest.IndexOf('/', StringComparison.Ordinal);
        if (slash >= 0)
        {
            var candidate = rest[..slash];
            if (LooksLikeDomain(candidate))
            {
                var hostError = ValidateDomain(candidate);
                if (hostError is null)
                {
                    domain = candidate;
                    remainder = rest[(slash + 1)..];
                }
                else if (candidate.Contains(':', StringComparison.Ordinal) || HasUpper(candidate) || !IsPathComponent(candidate))
                {
                    return hostError;
                }

                // Otherwise (e.g. "foo_bar.com/x") the regular grammar reads the component as a path
                // component, exactly like distribution/reference does; keep it in the path.
            }
        }

        var colon = remainder.IndexOf(':', StringComparison.Ordinal);
        if (colon >= 0)
        {
            var tagText = remainder[(colon + 1)..];
            var tagError = ValidateTag(tagText);
            if (tagError is not null)
            {
                return tagError;
            }

            tag = tagText;
            remainder = remainder[..colon];
        }

        var pathError = ValidatePath(remainder);
        if (pathError is not null)
        {
            return pathError;
        }

        var nameLength = (domain is null ? 0 : domain.Length + 1) + remainder.Length;
        if (nameLength > MaxNameLength)
        {
            return $"repository name must not be more than {MaxNameLength} characters";
        }

        path = remainder;
        return null;
    }

    private static bool LooksLikeDomain(string candidate) =>
        candidate.Contains('.', StringComparison.Ordinal)
        || candidate.Contains(':', StringComparison.Ordinal)
        || string.Equals(candidate, "localhost", StringComparison.Ordinal)
        || HasUpper(candidate);

    private static string? ValidateDomain(string domain)
    {
        string host;
        string? port = null;
        if (domain.StartsWith('['))
        {
            var close = domain.IndexOf(']', StringComparison.Ordinal);
            if (close < 0)
            {
                return "invalid registry host: missing ']' after IPv6 address";
            }

            host = domain[..(close + 1)];
            var after = domain[(close + 1)..];
            if (after.Length > 0)
            {
                if (after[0] != ':')
                {
                    return "invalid registry host: unexpected text after IPv6 address";
                }

                port = after[1..];
            }

            var inner = host[1..^1];
            if (inner.Length == 0 || !inner.All(c => IsHex(c) || c == ':'))
            {
                return "invalid registry host: IPv6 address may contain only hex digits and ':' (no zones, no embedded IPv4)";
            }
        }
        else
        {
            var colon = domain.IndexOf(':', StringComparison.Ordinal);
            host = colon < 0 ? domain : domain[..colon];
            port = colon < 0 ? null : domain[(colon + 1)..];
            if (!IsDomainName(host))
            {
                return "invalid registry host: use letters, digits, '-' and '.' (IPv6 addresses need [brackets])";
            }
        }

        if (port is not null && (port.Length == 0 || !port.All(char.IsAsciiDigit)))
        {
            return "invalid registry port: must be digits";
        }

        return null;
    }

    private static bool IsDomainName(string host)
    {
        if (host.Length == 0)
        {
            return false;
        }

        foreach (var label in host.Split('.'))
        {
            if (label.Length == 0
                || !char.IsAsciiLetterOrDigit(label[0])
                || !char.IsAsciiLetterOrDigit(label[^1])
                || !label.All(c => char.IsAsciiLetterOrDigit(c) || c == '-'))
            {
                return false;
            }
        }

        return true;
    }

    private static string? ValidatePath(string path)
    {
        if (path.Length == 0)
        {
            return "repository path must not be empty";
        }

        if (HasUpper(path))
        {
            return "repository name must be lowercase";
        }

        foreach (var component in path.Split('/'))
        {
            if (component.Length == 0)
            {
                return "repository path must not have empty components (leading, trailing or double '/')";
            }

            if (!IsPathComponent(component))
            {
                return "invalid repository path component: use lowercase letters and digits separated by '.', '_', '__' or '-'";
            }
        }

        return null;
    }

    /// <summary>Matches <c>[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*</c> without backtracking.</summary>
    private static bool IsPathComponent(string component)
    {
        var i = 0;
        while (true)
        {
            var start = i;
            while (i < component.Length && IsLowerAlphanumeric(component[i]))
            {
                i++;
            }

            if (i == start)
            {
                return false; // an alphanumeric run is required at the start and after every separator
            }

            if (i == component.Length)
            {
                return true;
            }

            var separator = i;
            switch (component[i])
            {
                case '.':
                    i++;
                    break;
                case '_':
                    i++;
                    if (i < component.Length && component[i] == '_')
                    {
                        i++;
                    }

                    break;
                case '-':
                    while (i < component.Length && component[i] == '-')
                    {
                        i++;
                    }

                    break;
                default:
                    return false;
            }

            if (i == separator)
            {
                return false;
            }
        }
    }

    private static string? ValidateTag(string tag)
    {
        if (tag.Length == 0)
        {
            return "tag must not be empty";
        }

        if (tag.Length > MaxTagLength)
        {
            return $"tag must not be more than {MaxTagLength} characters";
        }

        if (!IsWordChar(tag[0]))
        {
            return "invalid tag: must start with a letter, digit or '_'";
        }

        if (!tag.All(c => IsWordChar(c) || c == '.' || c == '-'))
        {
            return "invalid tag: use letters, digits, '_', '.' and '-'";
        }

        return null;
    }

    private static string? ValidateDigest(string digest)
    {
        if (digest.Length == 0)
        {
            return "digest must not be empty";
        }

        var colon = digest.IndexOf(':', StringComparison.Ordinal);
        if (colon < 0)
        {
            return "invalid digest: expected algorithm:hex, e.g. sha256:<64 hex digits>";
        }

        var algorithm = digest[..colon];
        var encoded = digest[(colon + 1)..];
        if (!IsDigestAlgorithm(algorithm) || encoded.Length < 32 || !encoded.All(IsHex))
        {
            return "invalid digest: expected algorithm:hex, e.g. sha256:<64 hex digits>";
        }

        int expected;
        switch (algorithm)
        {
            case "sha256":
                expected = 64;
                break;
            case "sha384":
                expected = 96;
                break;
            case "sha512":
                expected = 128;
                break;
            default:
                var shown = algorithm.Length > 32 ? algorithm[..32] + "…" : algorithm;
                return $"unsupported digest algorithm '{shown}': use sha256, sha384 or sha512";
        }

        if (encoded.Length != expected || !IsLowerHex(encoded))
        {
            return $"invalid {algorithm} digest: must be exactly {expected} lowercase hex digits";
        }

        return null;
    }

    /// <summary>Matches <c>[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*</c>.</summary>
    private static bool IsDigestAlgorithm(string algorithm)
    {
        var expectLetter = true;
        foreach (var c in algorithm)
        {
            if (expectLetter)
            {
                if (!char.IsAsciiLetter(c))
                {
                    return false;
                }

                expectLetter = false;
            }
            else if (c is '-' or '_' or '+' or '.')
            {
                expectLetter = true;
            }
            else if (!char.IsAsciiLetterOrDigit(c))
            {
                return false;
            }
        }

        return !expectLetter;
    }

    private static bool HasUpper(string text) => text.Any(char.IsAsciiLetterUpper);

    private static bool IsLowerAlphanumeric(char c) => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c);

    private static bool IsWordChar(char c) => char.IsAsciiLetterOrDigit(c) || c == '_';

    private static bool IsHex(char c) => char.IsAsciiHexDigit(c);

    private static bool IsLowerHex(string text) => text.All(char.IsAsciiHexDigitLower);
}
