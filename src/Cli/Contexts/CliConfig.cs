using YamlDotNet.Core;
using YamlDotNet.Serialization;

namespace Workers.Cli.Contexts;

/// <summary>
/// <c>$XDG_CONFIG_HOME/workers/config.yaml</c> (else <c>~/.config/workers/config.yaml</c>): the contexts, each a server
/// and its token or a broker, and which one is current, as kubectl's kubeconfig. It holds credentials, so it is written
/// owner-only (0600, its directory 0700) and replaced whole, never half-written.
/// </summary>
internal sealed class CliConfig
{
    // Built on first use: a command run without a config file does not load YamlDotNet, and one that only reads it does
    // not build the writer. Each key is named by its YamlMember alias rather than by a naming convention, whose
    // conversion (a regular expression per property name) was a third of reading the file, and a remote command spends
    // about a third of its own time reading it (the sample profiler, `workers delete` against `workers serve`).
    private static readonly Lazy<IDeserializer> Reader = new(() => new DeserializerBuilder().Build());

    private static readonly Lazy<ISerializer> Writer = new(() => new SerializerBuilder()
        .ConfigureDefaultValuesHandling(DefaultValuesHandling.OmitNull | DefaultValuesHandling.OmitDefaults)
        .Build());

    /// <summary>The name of the context <c>workers serve</c> writes.</summary>
    public const string LocalContext = "local";

    [YamlMember(Alias = "current-context")]
    public string? CurrentContext { get; set; }

    [YamlMember(Alias = "contexts")]
    public List<CliContext> Contexts { get; set; } = [];

    public static string PathFromEnvironment()
    {
        var root = Environment.GetEnvironmentVariable("XDG_CONFIG_HOME") is { Length: > 0 } xdg
            ? xdg
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".config");
        return Path.Combine(root, "workers", "config.yaml");
    }

    /// <summary>The file's contexts (none when there is no file); one that does not parse is a usage error naming it.</summary>
    public static CliConfig Load(string path)
    {
        // Looked for first: most commands run without a config file, and an exception per run costs a quick read milliseconds.
        if (!File.Exists(path))
        {
            return new CliConfig();
        }

        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return new CliConfig();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CliFailure(ExitCodes.Usage, "config.invalid", $"cannot read {path}: {e.Message}", e);
        }

        CliConfig config;
        try
        {
            config = Reader.Value.Deserialize<CliConfig?>(text) ?? new CliConfig();
        }
        catch (YamlException e)
        {
            throw new CliFailure(ExitCodes.Usage, "config.invalid", $"{path}:{e.Start.Line}:{e.Start.Column}: {(e.InnerException ?? e).Message.ReplaceLineEndings(" ")}", e);
        }

        foreach (var context in config.Contexts)
        {
            if (context.Problem() is { } problem)
            {
                throw new CliFailure(ExitCodes.Usage, "config.invalid", $"{path}: context '{context.Name}': {problem}");
            }
        }

        return config;
    }

    public CliContext? Find(string name) => Contexts.FirstOrDefault(c => c.Name == name);

    /// <summary>Adds the context, or replaces the one of the same name; true when it replaced one.</summary>
    public bool Put(CliContext context)
    {
        var replaced = Contexts.RemoveAll(c => c.Name == context.Name) > 0;
        Contexts.Add(context);
        Contexts.Sort((a, b) => string.CompareOrdinal(a.Name, b.Name));
        return replaced;
    }

    /// <summary>Writes the whole file owner-only: a temporary file created 0600 beside it, then renamed over it.</summary>
    public void Save(string path) => OwnerOnlyFiles.Replace(path, Writer.Value.Serialize(this));
}

/// <summary>One context: a Workers server (its HTTP API) with a token, or a broker.</summary>
internal sealed class CliContext
{
    [YamlMember(Alias = "name")]
    public string Name { get; set; } = string.Empty;

    [YamlMember(Alias = "server")]
    public string? Server { get; set; }

    [YamlMember(Alias = "token")]
    public string? Token { get; set; }

    [YamlMember(Alias = "broker")]
    public string? Broker { get; set; }

    /// <summary>Written by <c>workers serve</c>: when its server does not answer, commands run the embedded default instead.</summary>
    [YamlMember(Alias = "serve")]
    public bool Serve { get; set; }

    /// <summary>Why the context cannot be used, or null.</summary>
    public string? Problem()
    {
        if (!Contexts.ContextName.IsValid(Name))
        {
            return Contexts.ContextName.Rule;
        }

        if ((Server is null) == (Broker is null))
        {
            return "give exactly one of 'server' and 'broker'";
        }

        if (Server is not null && !ServerAddress.TryParse(Server, out _, out var serverError))
        {
            return serverError;
        }

        if (Broker is not null && !Transport.ServiceBus.ServiceBusSettings.IsServiceBus(Broker) && !Transport.Broker.TryParse(Broker, out _, out var brokerError))
        {
            return brokerError;
        }

        return null;
    }
}

/// <summary>A context's name: letters, digits, '-', '_' and '.', at most 63 characters.</summary>
internal static class ContextName
{
    public const string Rule = "a context name is 1 to 63 letters, digits, '-', '_' or '.'";

    public static bool IsValid(string? name) =>
        name is { Length: > 0 and <= 63 } && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.');
}
