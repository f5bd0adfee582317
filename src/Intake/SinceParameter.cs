using System.Globalization;
using Workers.Contracts.Spec;

namespace Workers.Intake;

/// <summary>The API's <c>since</c> parameter: a duration back from now (<c>10m</c>, <c>2h</c>) or an RFC 3339 moment.</summary>
internal static class SinceParameter
{
    public static bool TryParse(string? value, DateTimeOffset now, out DateTimeOffset since)
    {
        if (Duration.TryParse(value, out var back, out _))
        {
            since = now - back.Value;
            return true;
        }

        return DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out since);
    }

    public static string Problem(string? value) => $"since: '{value}' is neither a duration (10m, 2h) nor an RFC 3339 moment";
}
