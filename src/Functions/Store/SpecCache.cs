using System.Collections.Concurrent;
using System.Text.Json;
using Workers.Contracts.Spec;

namespace Workers.Functions.Store;

/// <summary>
/// Stored specs, parsed once: every read of a revision (each replica result, each plan) would otherwise parse and
/// validate the same JSON again. Keyed by the JSON text itself, so a hit is by definition the same spec; bounded by
/// starting over when full.
/// </summary>
internal static class SpecCache
{
    private const int Capacity = 4096;

    private static readonly ConcurrentDictionary<string, DeploymentSpec> Parsed = new(StringComparer.Ordinal);

    public static DeploymentSpec Get(string json, JsonSerializerOptions options)
    {
        if (Parsed.TryGetValue(json, out var spec))
        {
            return spec;
        }

        spec = JsonSerializer.Deserialize<DeploymentSpec>(json, options)!;
        if (Parsed.Count >= Capacity)
        {
            Parsed.Clear();
        }

        Parsed[json] = spec;
        return spec;
    }
}
