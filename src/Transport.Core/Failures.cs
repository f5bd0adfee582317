namespace Workers.Transport;

/// <summary>How a long-running process names a failure in its log: one line, without the stack a reader does not need.</summary>
public static class Failures
{
    /// <summary>The innermost cause's message on one line (for a refused connection, the socket's words).</summary>
    public static string Innermost(Exception exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        return Chain(exception).Last().Message.ReplaceLineEndings(" ");
    }

    /// <summary>The exception and its causes, outermost first (none for null).</summary>
    public static IEnumerable<Exception> Chain(Exception? exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            yield return e;
        }
    }
}
