using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Workers.Functions.Store;

/// <summary>The secrets check a host can run before it starts anything, so that its refusal is one line and not a failed start's log.</summary>
public static class SecretsStartup
{
    /// <summary>
    /// Brings the schema up to date (waiting for the store while it does not answer: <see cref="StoreStartup"/>), then throws <see cref="SecretsKeyException"/> (one line) when secrets are stored
    /// that the key cannot open. The same check runs again, harmlessly, as the host starts.
    /// </summary>
    public static async Task CheckSecretsKeyAsync(this IServiceProvider services, CancellationToken cancellationToken)
    {
        var logger = services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(StoreStartup).FullName!);
        await StoreStartup.MigrateWhenReachableAsync(services.GetRequiredService<IDeploymentStore>(), logger, cancellationToken);
        await services.GetRequiredService<ISecretStore>().CheckKeyAsync(cancellationToken);
    }
}
