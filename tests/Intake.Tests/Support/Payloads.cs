namespace Workers.Intake.Tests.Support;

/// <summary>The GitHub payload files, byte for byte.</summary>
internal static class Payloads
{
    public static byte[] Read(string name) => File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "Payloads", name));
}
