using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Workers.Transport;

namespace Workers.Functions.Tests.Bus;

/// <summary>What a long-running process writes of MassTransit's own logging: its errors, unless the operator names a level.</summary>
public sealed class BrokerLibraryLogTests
{
    private static readonly Broker Rabbit = Broker.Parse("rabbitmq://functions:secret@rabbit:5672/");

    [Fact]
    public void ReportTheBrokerConnection_NoLevelConfigured_KeepsMassTransitToItsErrors()
    {
        using var host = Build(new Dictionary<string, string?>());
        var logger = host.Services.GetRequiredService<ILoggerFactory>().CreateLogger("MassTransit.ReceiveTransport");

        Assert.False(logger.IsEnabled(LogLevel.Warning));
        Assert.True(logger.IsEnabled(LogLevel.Error));
    }

    [Fact]
    public void ReportTheBrokerConnection_LevelConfigured_IsTheOperatorsChoice()
    {
        using var host = Build(new Dictionary<string, string?> { ["Logging:LogLevel:MassTransit"] = "Debug" });
        var logger = host.Services.GetRequiredService<ILoggerFactory>().CreateLogger("MassTransit.ReceiveTransport");

        Assert.True(logger.IsEnabled(LogLevel.Debug));
    }

    private static IHost Build(Dictionary<string, string?> settings)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(settings);
        builder.Logging.AddConfiguration(builder.Configuration.GetSection("Logging")).AddProvider(new Sink());
        builder.ReportTheBrokerConnection(Rabbit);
        return builder.Build();
    }

    /// <summary>A provider that takes every level and writes nothing: the filters alone decide what reaches it.</summary>
    private sealed class Sink : ILoggerProvider, ILogger
    {
        public ILogger CreateLogger(string categoryName) => this;

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
        }

        public void Dispose()
        {
        }
    }
}
