using System.Reflection;
using Workers.Functions.Store;

namespace Workers.Functions.Tests.Handlers;

/// <summary>
/// A store that runs <see cref="Before"/> once, just before the next <see cref="IDeploymentStore.AddReplicasAsync"/>
/// reaches the database: to land another handler in the window between a handler's reads and its write.
/// </summary>
#pragma warning disable CA1852 // DispatchProxy derives from it at run time.
internal class InterleavingStore : DispatchProxy
#pragma warning restore CA1852
{
    private IDeploymentStore _inner = null!;

    public Func<Task>? Before { get; set; }

    public static (IDeploymentStore Store, InterleavingStore Control) Over(IDeploymentStore inner)
    {
        var store = Create<IDeploymentStore, InterleavingStore>();
        var control = (InterleavingStore)(object)store;
        control._inner = inner;
        return (store, control);
    }

    protected override object? Invoke(MethodInfo? targetMethod, object?[]? args)
    {
        ArgumentNullException.ThrowIfNull(targetMethod);
        if (targetMethod.Name == nameof(IDeploymentStore.AddReplicasAsync) && Before is { } before)
        {
            Before = null;
            return AddAfterAsync(before, targetMethod, args);
        }

        return targetMethod.Invoke(_inner, args);
    }

    private async Task<bool> AddAfterAsync(Func<Task> before, MethodInfo method, object?[]? args)
    {
        await before();
        return await (Task<bool>)method.Invoke(_inner, args)!;
    }
}
