using Microsoft.Extensions.Logging;

namespace Workers.Cli;

/// <summary>
/// What the libraries and the embedded pipeline may write to the terminal. By default only Workers' own warnings, one
/// line each and without stack traces: MassTransit's and RabbitMQ.Client's logging stays off, since the CLI says what
/// went wrong itself. <c>--verbose</c> turns every category on at <c>information</c>, with stack traces;
/// <c>WORKERS_LOG_LEVEL</c> sets the level of every category.
/// </summary>
internal sealed record CliLogging(LogLevel? Level, bool Verbose)
{
    public const string Variable = "WORKERS_LOG_LEVEL";

    private static readonly string[] Levels = ["trace", "debug", "information", "warning", "error", "critical", "none"];

    public static CliLogging Quiet { get; } = new(null, false);

    /// <summary>The setting from <c>--verbose</c> and <c>WORKERS_LOG_LEVEL</c>; a level it does not know is refused, not ignored.</summary>
    public static CliLogging From(bool verbose, string? setting)
    {
        if (string.IsNullOrWhiteSpace(setting))
        {
            return new CliLogging(null, verbose);
        }

        var text = setting.Trim().ToLowerInvariant() switch
        {
            "info" => "information",
            "warn" => "warning",
            "crit" => "critical",
            var other => other,
        };
        if (!Levels.Contains(text, StringComparer.Ordinal))
        {
            throw new CliFailure(ExitCodes.Usage, "config.invalid", $"{Variable}='{setting}' is not a log level; use one of {string.Join(", ", Levels)}");
        }

        return new CliLogging(Enum.Parse<LogLevel>(text, ignoreCase: true), verbose);
    }

    /// <summary>The lowest level written for a category.</summary>
    public LogLevel Minimum(string category) =>
        Level ?? (Verbose ? LogLevel.Information : category.StartsWith("Workers.", StringComparison.Ordinal) ? LogLevel.Warning : LogLevel.None);

    public ILoggerProvider Provider(TextWriter error) => new CliLoggerProvider(error, this);

    private sealed class CliLoggerProvider(TextWriter error, CliLogging settings) : ILoggerProvider
    {
        private readonly Lock _gate = new();

        private bool Verbose => settings.Verbose;

        public ILogger CreateLogger(string categoryName) => new CliLogger(this, categoryName, settings.Minimum(categoryName));

        public void Dispose()
        {
        }

        private void Write(string line)
        {
            lock (_gate)
            {
                error.WriteLine(line);
            }
        }

        private sealed class CliLogger(CliLoggerProvider provider, string category, LogLevel minimum) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state)
                where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None && logLevel >= minimum;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            {
                if (!IsEnabled(logLevel))
                {
                    return;
                }

                var message = formatter(state, exception).ReplaceLineEndings(" ");
                var detail = exception is null ? string.Empty
                    : provider.Verbose ? Environment.NewLine + exception
                    : $" ({exception.Message.ReplaceLineEndings(" ")})";
                provider.Write($"workers: {logLevel.ToString().ToLowerInvariant()}: {category}: {message}{detail}");
            }
        }
    }
}
