using System.Diagnostics.CodeAnalysis;

namespace Workers.Cli.Contexts;

/// <summary>A Workers server's HTTP API address: <c>http(s)://host[:port]</c>, with no path, query or user.</summary>
internal static class ServerAddress
{
    public static bool TryParse(string? text, [NotNullWhen(true)] out Uri? address, [NotNullWhen(false)] out string? error)
    {
        (address, error) = (null, null);
        if (!Uri.TryCreate(text?.Trim(), UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https") || string.IsNullOrEmpty(uri.Host))
        {
            error = $"'{text}' is not a server address; use http://host:port or https://host";
            return false;
        }

        if (uri.AbsolutePath != "/" || uri.Query.Length > 0 || uri.Fragment.Length > 0 || uri.UserInfo.Length > 0)
        {
            error = $"'{uri.GetLeftPart(UriPartial.Authority)}…' has a path, query or user; give the server's address only, such as {uri.GetLeftPart(UriPartial.Authority)}";
            return false;
        }

        address = new Uri(uri.GetLeftPart(UriPartial.Authority) + "/");
        return true;
    }
}
