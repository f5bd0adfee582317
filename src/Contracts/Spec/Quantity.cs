using System.Globalization;
using System.Text.RegularExpressions;

namespace Workers.Contracts.Spec;

/// <summary>Splits a Kubernetes-style quantity ("500m", "0.5", "256Mi", "1e9") into its number and suffix.</summary>
internal static partial class Quantity
{
    public static bool TrySplit(string text, out decimal number, out string suffix)
    {
        (number, suffix) = (0, string.Empty);
        if (text.Length > 64)
        {
            return false;
        }

        var match = Pattern().Match(text);
        if (!match.Success || !decimal.TryParse(match.Groups["number"].Value, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out number))
        {
            return false;
        }

        suffix = match.Groups["suffix"].Value;
        if (match.Groups["exponent"].Success)
        {
            var exponent = int.Parse(match.Groups["exponent"].Value, CultureInfo.InvariantCulture);
            if (exponent is > 18 or < -18)
            {
                return false;
            }

            number *= (decimal)Math.Pow(10, exponent);
        }

        return true;
    }

    [GeneratedRegex(@"^(?<number>[0-9]+(\.[0-9]*)?|\.[0-9]+)(?:[eE](?<exponent>[+-]?[0-9]{1,2})|(?<suffix>[A-Za-z]{1,2}))?$", RegexOptions.CultureInvariant)]
    private static partial Regex Pattern();
}
