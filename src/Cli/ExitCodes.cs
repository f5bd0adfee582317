namespace Workers.Cli;

/// <summary>The exit codes of every command.</summary>
internal static class ExitCodes
{
    /// <summary>Everything is valid, or the operation succeeded.</summary>
    public const int Ok = 0;

    /// <summary>A spec is invalid, or the deployment failed.</summary>
    public const int Failed = 1;

    /// <summary>The command line was wrong, or a file could not be read.</summary>
    public const int Usage = 2;
}
