namespace Workers.Telemetry;

/// <summary>Runs a function's handler, with the effects it returns carried out, inside <see cref="WorkersTelemetry.Handler"/>.</summary>
public static class Measured
{
    /// <summary>The span is the parent of what the handler sends and publishes, so the trace runs on through them.</summary>
    public static async Task RunAsync(string handler, Func<Task> work)
    {
        ArgumentNullException.ThrowIfNull(work);
        using var operation = WorkersTelemetry.Handler(handler);
        try
        {
            await work();
        }
        catch (Exception e) when (operation.Fail(e))
        {
            throw;
        }
    }
}
