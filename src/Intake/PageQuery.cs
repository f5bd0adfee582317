using System.Globalization;
using Microsoft.AspNetCore.Http;

namespace Workers.Intake;

/// <summary>
/// A page of a list the API answers: <c>offset</c> (0 by default) and <c>limit</c> (1 to 1000). Without either the whole
/// list comes back, as it always has; with either, <c>X-Total-Count</c> says how long the whole list is.
/// </summary>
/// <param name="Offset">How many items to skip.</param>
/// <param name="Limit">At most this many, or null for all of them.</param>
/// <param name="Paged">Whether the caller asked for a page.</param>
public sealed record PageQuery(int Offset, int? Limit, bool Paged)
{
    /// <summary>The largest page.</summary>
    public const int MaxLimit = 1000;

    /// <summary>
    /// Reads <c>offset</c> and <c>limit</c>; every problem, and any parameter neither these nor one of
    /// <paramref name="others"/>, goes into <paramref name="problems"/>.
    /// </summary>
    public static PageQuery Parse(IReadOnlyDictionary<string, string?> query, string path, IReadOnlyCollection<string> others, out List<string> problems)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentNullException.ThrowIfNull(others);
        problems = [];
        var offset = 0;
        int? limit = null;
        foreach (var (key, value) in query)
        {
            switch (key)
            {
                case "offset" when int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var skip):
                    offset = skip;
                    break;
                case "offset":
                    problems.Add($"offset: '{value}' is not a whole number of 0 or more");
                    break;
                case "limit" when int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var count) && count is >= 1 and <= MaxLimit:
                    limit = count;
                    break;
                case "limit":
                    problems.Add($"limit: '{value}' is not a whole number from 1 to {MaxLimit}");
                    break;
                default:
                    if (!others.Contains(key))
                    {
                        problems.Add($"'{key}' is not a parameter of {path} ({string.Join(", ", others.Append("offset").Append("limit"))})");
                    }

                    break;
            }
        }

        return new PageQuery(offset, limit, query.ContainsKey("offset") || query.ContainsKey("limit"));
    }

    /// <summary>200 with this page of <paramref name="items"/> and, when paged, the whole list's length.</summary>
    public IntakeResult Answer<T>(IReadOnlyList<T> items)
    {
        ArgumentNullException.ThrowIfNull(items);
        if (!Paged)
        {
            return new IntakeResult(StatusCodes.Status200OK, items);
        }

        return Answer(items.Skip(Offset).Take(Take).ToList(), items.Count);
    }

    /// <summary>200 with <paramref name="page"/>, already cut from a list of <paramref name="total"/> items by <see cref="Offset"/> and <see cref="Take"/>.</summary>
    public IntakeResult Answer<T>(IReadOnlyList<T> page, int total) =>
        new(StatusCodes.Status200OK, page, Headers: new Dictionary<string, string> { ["X-Total-Count"] = total.ToString(CultureInfo.InvariantCulture) });

    /// <summary>How many items a page holds at most.</summary>
    public int Take => Limit ?? MaxLimit;
}
