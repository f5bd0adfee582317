using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Workers.Security;

namespace Workers.Functions.Handlers;

public static class SigningKeyRegistration
{
    /// <summary>
    /// The control plane's signing key, which every command to an agent is signed with: WORKERS_SIGNING_KEY (PEM text
    /// or a key file), unset <c>~/.local/share/workers/control.key</c>, made on first use (<see cref="ControlPlaneKey"/>).
    /// A key registered before this call is kept.
    /// </summary>
    public static IServiceCollection AddWorkersSigningKey(this IServiceCollection services)
    {
        services.TryAddSingleton(sp => ControlPlaneKey.Load(sp.GetService<IConfiguration>()?["WORKERS_SIGNING_KEY"]));
        return services;
    }
}
