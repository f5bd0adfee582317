using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;

namespace Workers.Intake.Security;

/// <summary>The outcome of checking an <c>Authorization</c> header.</summary>
public enum TokenCheck
{
    /// <summary>No bearer token was presented: 401.</summary>
    Missing,

    /// <summary>A token was presented and it is not one of ours: 403.</summary>
    Wrong,

    /// <summary>A configured token.</summary>
    Valid,
}

/// <summary>
/// The configured API tokens, kept only as SHA-256 digests. A presented token is hashed and compared with every
/// digest in constant time, so neither its length nor how many characters match can be timed.
/// </summary>
public sealed class ApiTokens
{
    private readonly byte[][] _digests;

    public ApiTokens(IOptions<IntakeOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _digests = [.. options.Value.ApiTokens.Where(t => !string.IsNullOrWhiteSpace(t)).Select(t => SHA256.HashData(Encoding.UTF8.GetBytes(t.Trim())))];
    }

    /// <summary>Checks an <c>Authorization</c> header value (<c>Bearer &lt;token&gt;</c>).</summary>
    public TokenCheck Check(string? authorization)
    {
        const string scheme = "Bearer ";
        if (string.IsNullOrWhiteSpace(authorization) || !authorization.StartsWith(scheme, StringComparison.OrdinalIgnoreCase) || authorization.Length == scheme.Length)
        {
            return TokenCheck.Missing;
        }

        var presented = SHA256.HashData(Encoding.UTF8.GetBytes(authorization[scheme.Length..].Trim()));
        var match = false;
        foreach (var digest in _digests)
        {
            match |= CryptographicOperations.FixedTimeEquals(presented, digest);
        }

        return match ? TokenCheck.Valid : TokenCheck.Wrong;
    }
}
