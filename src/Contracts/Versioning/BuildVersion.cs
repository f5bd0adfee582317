using System.Reflection;

namespace Workers.Contracts.Versioning;

/// <summary>The version a Workers program was built as: what <c>workers version</c> shows for the CLI, the functions and each agent.</summary>
public static class BuildVersion
{
    /// <summary>The assembly's informational version (the version and the commit it was built from), else its version.</summary>
    public static string Of(Assembly assembly)
    {
        ArgumentNullException.ThrowIfNull(assembly);
        return assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion
            ?? assembly.GetName().Version?.ToString()
            ?? "unknown";
    }
}
