namespace Workers.Cli;

/// <summary>The process's standard streams, replaceable in tests.</summary>
internal sealed record CliConsole(Func<Stream> OpenInput, TextWriter Out, TextWriter Error)
{
    public static CliConsole System { get; } = new(Console.OpenStandardInput, Console.Out, Console.Error);
}
