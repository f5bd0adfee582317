using System.Diagnostics.CodeAnalysis;
using System.Globalization;

namespace Workers.Contracts.Spec;

/// <summary>A memory limit in bytes, at least 6 MiB (the Docker engine's minimum): "256Mi", "1G", "1048576".</summary>
public sealed record MemoryQuantity : IComparable<MemoryQuantity>
{
    /// <summary>The smallest limit the Docker engine accepts: 6 MiB.</summary>
    public const long MinBytes = 6 * 1024 * 1024;

    /// <summary>Largest factor first, so that <see cref="ToString"/> picks the largest suffix that divides exactly.</summary>
    private static readonly (string Suffix, decimal Factor)[] Suffixes =
    [
        ("Ei", 1L << 60), ("E", 1e18m), ("Pi", 1L << 50), ("P", 1e15m), ("Ti", 1L << 40), ("T", 1e12m),
        ("Gi", 1L << 30), ("G", 1e9m), ("Mi", 1L << 20), ("M", 1e6m), ("Ki", 1L << 10), ("k", 1e3m), (string.Empty, 1m),
    ];

    private MemoryQuantity(long bytes) => Bytes = bytes;

    /// <summary>The limit in bytes.</summary>
    public long Bytes { get; }

    /// <summary>Accepts a memory quantity, or says why not.</summary>
    public static bool TryParse(string? text, [NotNullWhen(true)] out MemoryQuantity? quantity, [NotNullWhen(false)] out string? error)
    {
        quantity = null;
        if (string.IsNullOrEmpty(text) || !Quantity.TrySplit(text, out var number, out var suffix))
        {
            error = $"'{CpuQuantity.Shorten(text)}' is not a memory quantity; write bytes with an optional suffix Ki, Mi, Gi, Ti (powers of 1024) or k, M, G, T (powers of 1000), as in 256Mi";
            return false;
        }

        var factor = Array.Find(Suffixes, s => s.Suffix == suffix).Factor;
        if (factor == 0)
        {
            error = $"unknown suffix '{suffix}'; use Ki, Mi, Gi, Ti, Pi, Ei or k, M, G, T, P, E";
            return false;
        }

        if (number > long.MaxValue / factor)
        {
            error = "is larger than any machine's memory";
            return false;
        }

        var bytes = number * factor;
        if (bytes != decimal.Truncate(bytes))
        {
            error = "must be a whole number of bytes";
            return false;
        }

        return Create((long)bytes, out quantity, out error);
    }

    /// <summary>A memory quantity of so many bytes, or why not.</summary>
    public static bool Create(long bytes, [NotNullWhen(true)] out MemoryQuantity? quantity, [NotNullWhen(false)] out string? error)
    {
        (quantity, error) = bytes >= MinBytes
            ? (new MemoryQuantity(bytes), null)
            : ((MemoryQuantity?)null, $"must be at least 6Mi (6291456 bytes, the Docker engine's minimum), got {bytes} bytes");
        return quantity is not null;
    }

    /// <summary>A memory quantity for a value known to be valid; throws otherwise.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Not a valid quantity.</exception>
    public static MemoryQuantity FromBytes(long bytes) =>
        Create(bytes, out var quantity, out var error) ? quantity : throw new ArgumentOutOfRangeException(nameof(bytes), error);

    /// <inheritdoc />
    public int CompareTo(MemoryQuantity? other) => other is null ? 1 : Bytes.CompareTo(other.Bytes);

    /// <summary>The canonical text: the largest suffix that divides the bytes exactly.</summary>
    public override string ToString()
    {
        foreach (var (suffix, factor) in Suffixes)
        {
            if (Bytes % factor == 0)
            {
                return (Bytes / factor).ToString(CultureInfo.InvariantCulture) + suffix;
            }
        }

        return Bytes.ToString(CultureInfo.InvariantCulture);
    }
}
