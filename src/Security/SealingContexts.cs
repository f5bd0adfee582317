namespace Workers.Security;

/// <summary>
/// What a sealed value is for, bound into it (<see cref="SealingKey.Seal"/>'s context): a value sealed for one use does
/// not open for another, so a sealed value copied from one message into another is refused.
/// </summary>
public static class SealingContexts
{
    /// <summary>A secret's value on its way from a client to the functions, to be stored as secret <paramref name="name"/>.</summary>
    public static string SetSecret(string name) => $"workers/set-secret/v1\n{name}";

    /// <summary>
    /// A secret's value in a start command, for environment variable <paramref name="variable"/> of revision
    /// <paramref name="revision"/> of deployment <paramref name="deployment"/>.
    /// </summary>
    public static string EnvValue(string deployment, long revision, string variable) =>
        $"workers/env/v1\n{deployment}\n{revision.ToString(System.Globalization.CultureInfo.InvariantCulture)}\n{variable}";
}
