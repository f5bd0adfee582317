namespace Workers.Integration.Tests;

/// <summary>Waits for a condition by polling with a deadline: the tests' only way to wait.</summary>
internal static class Poll
{
    public static async Task<T> UntilAsync<T>(Func<Task<T>> probe, Func<T, bool> done, TimeSpan deadline, string what)
    {
        using var timeout = new CancellationTokenSource(deadline);
        var last = default(T);
        while (!timeout.IsCancellationRequested)
        {
            last = await probe();
            if (done(last))
            {
                return last;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(100), CancellationToken.None);
        }

        throw new TimeoutException($"{what} did not happen within {deadline.TotalSeconds:0}s; last seen: {System.Text.Json.JsonSerializer.Serialize(last)}");
    }
}
