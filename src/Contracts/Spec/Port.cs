using System.Diagnostics.CodeAnalysis;
using System.Globalization;

namespace Workers.Contracts.Spec;

/// <summary>A TCP or UDP port number, 1 to 65535. No other value can be held.</summary>
public sealed record Port : IComparable<Port>
{
    /// <summary>The lowest port number.</summary>
    public const int Min = 1;

    /// <summary>The highest port number.</summary>
    public const int Max = 65535;

    private Port(int value) => Value = value;

    /// <summary>The port number.</summary>
    public int Value { get; }

    /// <summary>Accepts a port number in range, or says why not.</summary>
    public static bool TryCreate(long number, [NotNullWhen(true)] out Port? port, [NotNullWhen(false)] out string? error)
    {
        if (number is < Min or > Max)
        {
            (port, error) = (null, $"must be between {Min} and {Max}, got {number}");
            return false;
        }

        (port, error) = (new Port((int)number), null);
        return true;
    }

    /// <summary>A port for a number known to be in range; throws otherwise.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The number is not a port.</exception>
    public static Port From(int number) =>
        TryCreate(number, out var port, out var error) ? port : throw new ArgumentOutOfRangeException(nameof(number), error);

    /// <inheritdoc />
    public int CompareTo(Port? other) => other is null ? 1 : Value.CompareTo(other.Value);

    /// <inheritdoc />
    public override string ToString() => Value.ToString(CultureInfo.InvariantCulture);
}
