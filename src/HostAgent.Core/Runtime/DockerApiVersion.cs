using System.Globalization;

namespace Workers.HostAgent.Runtime;

/// <summary>
/// Engine API version negotiation.
/// </summary>
/// <remarks>
/// Unversioned paths (<c>/containers/json</c>) are served at the engine's own, newest API version, and
/// <c>DOCKER_API_VERSION</c> is not read. To talk one fixed, known dialect for the life of the client (an engine
/// upgraded underneath the agent keeps answering the version we started with) and to refuse engines that are too old, the runtime asks <c>GET /version</c> once and then pins the client to the server's API version.
/// There is deliberately no upper cap: newer engines drop old API versions (Engine 29 requires 1.44 or newer), so a
/// pinned ceiling would break on them.
/// </remarks>
internal static class DockerApiVersion
{
    /// <summary>The oldest engine API this agent supports (Docker Engine 20.10).</summary>
    public static readonly Version Minimum = new(1, 41);

    /// <summary>The API version to pin, given the server's <c>ApiVersion</c> from <c>GET /version</c>.</summary>
    /// <exception cref="DockerEngineUnsupportedException">The version is missing, unreadable or older than <see cref="Minimum"/>.</exception>
    public static Version Negotiate(string? serverApiVersion)
    {
        if (!TryParse(serverApiVersion, out var server))
        {
            throw new DockerEngineUnsupportedException(
                $"the Docker engine reported an unreadable API version '{serverApiVersion}'");
        }

        if (server < Minimum)
        {
            throw new DockerEngineUnsupportedException(
                $"the Docker engine speaks API {server}, older than the required {Minimum} (Docker Engine 20.10)");
        }

        return server;
    }

    private static bool TryParse(string? text, out Version version)
    {
        version = Minimum;
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }

        var parts = text.Trim().Split('.');
        if (parts.Length != 2
            || !int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var major)
            || !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var minor))
        {
            return false;
        }

        version = new Version(major, minor);
        return true;
    }
}

/// <summary>The engine answered but is not one this agent can drive.</summary>
public sealed class DockerEngineUnsupportedException : Exception
{
    public DockerEngineUnsupportedException()
    {
    }

    public DockerEngineUnsupportedException(string message)
        : base(message)
    {
    }

    public DockerEngineUnsupportedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
