namespace Workers.Transport;

/// <summary>How a long-running process names a failure in its log: one line, without the stack a reader does not need.</summary>
public static class Failures
{
    /// <summary>The innermost cause's message on one line (for a refused connection, the socket's words).</summary>
    public static string Innermost(Exception exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        while (exception.InnerException is not null)
        {
            exception = exception.InnerException;
        }

        return exception.Message.ReplaceLineEndings(" ");
    }
}
