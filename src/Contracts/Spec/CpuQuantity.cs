using System.Diagnostics.CodeAnalysis;
using System.Globalization;

namespace Workers.Contracts.Spec;

/// <summary>A CPU limit in millicores, greater than zero: "500m", "0.5" and "2" as Kubernetes writes them.</summary>
public sealed record CpuQuantity : IComparable<CpuQuantity>
{
    /// <summary>The largest limit accepted: a million cores.</summary>
    public const long MaxMillicores = 1_000_000_000;

    private CpuQuantity(long millicores) => Millicores = millicores;

    /// <summary>Thousandths of a core.</summary>
    public long Millicores { get; }

    /// <summary>The limit in the Docker engine's unit (10⁻⁹ cores).</summary>
    public long NanoCpus => Millicores * 1_000_000;

    /// <summary>Accepts a CPU quantity, or says why not.</summary>
    public static bool TryParse(string? text, [NotNullWhen(true)] out CpuQuantity? quantity, [NotNullWhen(false)] out string? error)
    {
        quantity = null;
        if (string.IsNullOrEmpty(text) || !Quantity.TrySplit(text, out var number, out var suffix) || suffix is not ("" or "m"))
        {
            error = $"'{Shorten(text)}' is not a CPU quantity; write cores (0.5, 2) or millicores (500m)";
            return false;
        }

        var millicores = suffix == "m" ? number : number * 1000;
        if (millicores != decimal.Truncate(millicores))
        {
            error = "must be a whole number of millicores (the finest step is 1m, 0.001 cores)";
            return false;
        }

        if (millicores <= 0 || millicores > MaxMillicores)
        {
            error = millicores <= 0 ? "must be greater than zero" : "must be at most a million cores";
            return false;
        }

        return Create((long)millicores, out quantity, out error);
    }

    /// <summary>A CPU quantity of so many millicores, or why not.</summary>
    public static bool Create(long millicores, [NotNullWhen(true)] out CpuQuantity? quantity, [NotNullWhen(false)] out string? error)
    {
        (quantity, error) = millicores is > 0 and <= MaxMillicores
            ? (new CpuQuantity(millicores), null)
            : ((CpuQuantity?)null, $"must be between 1m and {MaxMillicores}m");
        return quantity is not null;
    }

    /// <summary>A CPU quantity for a value known to be valid; throws otherwise.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Not a valid quantity.</exception>
    public static CpuQuantity FromMillicores(long millicores) =>
        Create(millicores, out var quantity, out var error) ? quantity : throw new ArgumentOutOfRangeException(nameof(millicores), error);

    /// <inheritdoc />
    public int CompareTo(CpuQuantity? other) => other is null ? 1 : Millicores.CompareTo(other.Millicores);

    /// <summary>The canonical text: whole cores as "2", anything else as millicores "500m".</summary>
    public override string ToString() => Millicores % 1000 == 0
        ? (Millicores / 1000).ToString(CultureInfo.InvariantCulture)
        : Millicores.ToString(CultureInfo.InvariantCulture) + "m";

    internal static string Shorten(string? text) => text is null ? string.Empty : text.Length > 40 ? text[..40] + "…" : text;
}
