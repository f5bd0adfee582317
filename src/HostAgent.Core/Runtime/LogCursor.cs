using System.Globalization;

namespace Workers.HostAgent.Runtime;

/// <summary>
/// Where a log line sits, to the nanosecond, as the engine stamps it (<c>2026-11-27T01:02:03.123456789Z</c>): a reader
/// reads on after the last line it has, and .NET's 100 ns ticks would lose lines written within one tick.
/// </summary>
public sealed record LogCursor(long Seconds, int Nanoseconds) : IComparable<LogCursor>
{
    /// <summary>The moment, to the tick.</summary>
    public DateTimeOffset At => DateTimeOffset.FromUnixTimeSeconds(Seconds).AddTicks(Nanoseconds / 100);

    /// <summary>The engine's <c>since</c> parameter: <c>seconds.nanoseconds</c>, which keeps lines at this very moment.</summary>
    public string ToSinceParameter() => string.Create(CultureInfo.InvariantCulture, $"{Seconds}.{Nanoseconds:D9}");

    /// <summary>The RFC 3339 form, nanoseconds and all: the cursor's text on the wire.</summary>
    public override string ToString() =>
        DateTimeOffset.FromUnixTimeSeconds(Seconds).UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss", CultureInfo.InvariantCulture)
        + string.Create(CultureInfo.InvariantCulture, $".{Nanoseconds:D9}Z");

    /// <summary>Reads an RFC 3339 UTC moment with up to nine fractional digits, as the engine and <see cref="ToString"/> write it.</summary>
    public static bool TryParse(string? text, out LogCursor? cursor)
    {
        cursor = null;
        if (string.IsNullOrEmpty(text) || text.Length < 20 || text[^1] != 'Z')
        {
            return false;
        }

        var dot = text.IndexOf('.', StringComparison.Ordinal);
        var whole = dot < 0 ? text[..^1] : text[..dot];
        var fraction = dot < 0 ? string.Empty : text[(dot + 1)..^1];
        if (fraction.Length > 9 || !fraction.All(char.IsAsciiDigit)
            || !DateTime.TryParseExact(whole, "yyyy-MM-dd'T'HH:mm:ss", CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var moment))
        {
            return false;
        }

        cursor = new LogCursor(
            new DateTimeOffset(moment, TimeSpan.Zero).ToUnixTimeSeconds(),
            fraction.Length == 0 ? 0 : int.Parse(fraction.PadRight(9, '0'), CultureInfo.InvariantCulture));
        return true;
    }

    public int CompareTo(LogCursor? other) =>
        other is null ? 1 : Seconds != other.Seconds ? Seconds.CompareTo(other.Seconds) : Nanoseconds.CompareTo(other.Nanoseconds);
}
