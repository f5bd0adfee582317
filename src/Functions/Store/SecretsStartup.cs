using Microsoft.Extensions.DependencyInjection;

namespace Workers.Functions.Store;

/// <summary>The secrets check a host can run before it starts anything, so that its refusal is one line and not a failed start's log.</summary>
public static class SecretsStartup
{
    /// <summary>
    /// Brings the schema up to date, then throws <see cref="SecretsKeyException"/> (one line) when secrets are stored
    /// that the key cannot open. The same check runs again, harmlessly, as the host starts.
    /// </summary>
    public static async Task CheckSecretsKeyAsync(this IServiceProvider services, CancellationToken cancellationToken)
    {
        await services.GetRequiredService<IDeploymentStore>().MigrateAsync(cancellationToken);
        await services.GetRequiredService<ISecretStore>().CheckKeyAsync(cancellationToken);
    }
}
