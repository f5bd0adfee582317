namespace Workers.Cli;

/// <summary>The exit codes of every command.</summary>
internal static class ExitCodes
{
    /// <summary>Everything is valid, or the operation succeeded.</summary>
    public const int Ok = 0;

    /// <summary>A spec is invalid, the deployment failed, or what was named does not exist.</summary>
    public const int Failed = 1;

    /// <summary>The command line or a setting was wrong, or a file could not be read.</summary>
    public const int Usage = 2;

    /// <summary>The broker, Docker or the functions could not be reached, refused us, or did not answer in time.</summary>
    public const int Unavailable = 3;

    /// <summary>Something went wrong that the CLI has no words for: a bug, with its stack trace under <c>--verbose</c>.</summary>
    public const int Internal = 4;

    /// <summary>Interrupted (Ctrl+C), as shells report a SIGINT.</summary>
    public const int Interrupted = 130;
}
