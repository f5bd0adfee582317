namespace Workers.FaultInjection.Tests;

/// <summary>Reading Docker's labels, which Docker.DotNet hands out as an <see cref="IDictionary{TKey, TValue}"/> (not a read-only dictionary).</summary>
internal static class LabelDictionaryExtensions
{
    /// <summary>The label's value, or null when the container lacks it.</summary>
    public static string? GetValueOrDefault(this IDictionary<string, string>? labels, string key) =>
        labels is not null && labels.TryGetValue(key, out var value) ? value : null;
}
