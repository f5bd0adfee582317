using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Text;

namespace Workers.Contracts.Spec;

/// <summary>
/// A non-negative duration written as Go writes them ("500ms", "10s", "1m30s", "1h"), with millisecond resolution
/// and at most 365 days.
/// </summary>
public sealed record Duration : IComparable<Duration>
{
    private static readonly TimeSpan MaxValue = TimeSpan.FromDays(365);

    private static readonly (string Unit, decimal Nanoseconds)[] Units =
    [
        ("ns", 1m), ("us", 1e3m), ("µs", 1e3m), ("μs", 1e3m), ("ms", 1e6m), ("s", 1e9m), ("m", 60e9m), ("h", 3600e9m),
    ];

    private Duration(TimeSpan value) => Value = value;

    /// <summary>The duration.</summary>
    public TimeSpan Value { get; }

    /// <summary>Accepts a Go-style duration, or says why not.</summary>
    public static bool TryParse(string? text, [NotNullWhen(true)] out Duration? duration, [NotNullWhen(false)] out string? error)
    {
        duration = null;
        error = $"'{CpuQuantity.Shorten(text)}' is not a duration; write a number and a unit (ns, us, ms, s, m, h), as in 500ms, 10s or 1m30s";
        if (string.IsNullOrEmpty(text) || text.Length > 64)
        {
            return false;
        }

        if (text == "0")
        {
            (duration, error) = (new Duration(TimeSpan.Zero), null);
            return true;
        }

        decimal total = 0;
        var rest = text.AsSpan();
        while (!rest.IsEmpty)
        {
            var numberLength = 0;
            while (numberLength < rest.Length && (char.IsAsciiDigit(rest[numberLength]) || rest[numberLength] == '.'))
            {
                numberLength++;
            }

            if (numberLength == 0 || !decimal.TryParse(rest[..numberLength], NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var number))
            {
                return false;
            }

            rest = rest[numberLength..];
            var unitLength = 0;
            while (unitLength < rest.Length && !char.IsAsciiDigit(rest[unitLength]) && rest[unitLength] != '.')
            {
                unitLength++;
            }

            var unit = rest[..unitLength].ToString();
            var factor = Array.Find(Units, u => u.Unit == unit).Nanoseconds;
            if (factor == 0 || number > 1e15m)
            {
                return false;
            }

            total += number * factor;
            rest = rest[unitLength..];
        }

        if (total > (decimal)MaxValue.Ticks * 100)
        {
            error = "must be at most 365 days";
            return false;
        }

        if (total % 1_000_000 != 0)
        {
            error = "must be a whole number of milliseconds";
            return false;
        }

        (duration, error) = (new Duration(TimeSpan.FromMilliseconds((double)(total / 1_000_000))), null);
        return true;
    }

    /// <summary>A duration for a value known to be valid; throws otherwise.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Negative, finer than a millisecond, or over 365 days.</exception>
    public static Duration From(TimeSpan value) =>
        value >= TimeSpan.Zero && value <= MaxValue && value.Ticks % TimeSpan.TicksPerMillisecond == 0
            ? new Duration(value)
            : throw new ArgumentOutOfRangeException(nameof(value), "must be whole milliseconds between 0 and 365 days");

    /// <inheritdoc />
    public int CompareTo(Duration? other) => other is null ? 1 : Value.CompareTo(other.Value);

    /// <summary>The canonical Go-style text, such as "1h2m3s4ms"; "0s" for zero.</summary>
    public override string ToString()
    {
        if (Value == TimeSpan.Zero)
        {
            return "0s";
        }

        var text = new StringBuilder();
        Append(text, (long)Value.TotalHours, "h");
        Append(text, Value.Minutes, "m");
        Append(text, Value.Seconds, "s");
        Append(text, Value.Milliseconds, "ms");
        return text.ToString();
    }

    private static void Append(StringBuilder text, long amount, string unit)
    {
        if (amount != 0)
        {
            text.Append(amount.ToString(CultureInfo.InvariantCulture)).Append(unit);
        }
    }
}
