namespace Workers.Testing;

/// <summary>Waits for a condition by polling with a deadline: the tests' only way to wait.</summary>
internal static class Poll
{
    /// <summary>Fields too: a tuple's items are fields, and would otherwise show as <c>{}</c>.</summary>
    private static readonly System.Text.Json.JsonSerializerOptions LastSeen = new() { IncludeFields = true };

    /// <summary>Polls until <paramref name="done"/> holds; a probe that throws (a store not migrated yet) counts as not yet.</summary>
    public static async Task<T> UntilAsync<T>(Func<Task<T>> probe, Func<T, bool> done, TimeSpan deadline, string what, TimeSpan? interval = null)
    {
        using var timeout = new CancellationTokenSource(deadline);
        var last = default(T);
        Exception? error = null;
        while (!timeout.IsCancellationRequested)
        {
            try
            {
                last = await probe();
                error = null;
                if (done(last))
                {
                    return last;
                }
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                error = e;
            }

            await Task.Delay(interval ?? TimeSpan.FromMilliseconds(200), CancellationToken.None);
        }

        throw new TimeoutException($"{what} did not happen within {deadline.TotalSeconds:0}s; last seen: {(error is null ? System.Text.Json.JsonSerializer.Serialize(last, LastSeen) : error.Message)}");
    }

    /// <summary>
    /// Checks <paramref name="condition"/> every 10 ms (calling <paramref name="step"/> before each check, e.g. to move
    /// a fake clock) and fails with <paramref name="what"/> when it does not hold within 15 seconds.
    /// </summary>
    public static async Task UntilAsync(Func<bool> condition, string what, Action? step = null)
    {
        var deadline = DateTimeOffset.UtcNow + TimeSpan.FromSeconds(15);
        while (true)
        {
            step?.Invoke();
            if (condition())
            {
                return;
            }

            Assert.True(DateTimeOffset.UtcNow < deadline, $"within 15 s: {what}");
            await Task.Delay(TimeSpan.FromMilliseconds(10));
        }
    }
}
