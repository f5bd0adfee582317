using Workers.Security;

namespace Workers.Functions.Store;

/// <summary>
/// Where the key for secrets at rest comes from: <c>WORKERS_SECRETS_KEY</c> (base64 of 32 bytes), or, when that is
/// unset and the store is a SQLite file, the key file <c>secrets.key</c> beside that file, made on first use with mode
/// 0600 (the embedded default's one-machine story, like the store itself); with PostgreSQL and no setting there is none,
/// and setting a secret is refused until there is.
/// </summary>
public sealed class SecretsKeySource : IDisposable
{
    /// <summary>The setting that gives the key.</summary>
    public const string Setting = "WORKERS_SECRETS_KEY";

    /// <summary>The key file's name, beside the SQLite store.</summary>
    public const string FileName = "secrets.key";

    private readonly Lock _gate = new();
    private readonly string? _setting;
    private SecretsKey? _key;

    private SecretsKeySource(string? setting, string? file) => (_setting, File) = (setting, file);

    /// <summary>The key file, when the key comes from one.</summary>
    public string? File { get; }

    /// <summary>Names where the key comes from, for messages.</summary>
    public string Describe => _setting is not null ? Setting : File is not null ? $"the key file {File}" : $"no key ({Setting} is not set)";

    /// <summary>The source for <paramref name="setting"/> (the value of <c>WORKERS_SECRETS_KEY</c>) and the store's dialect.</summary>
    public static SecretsKeySource From(string? setting, SqlDialect dialect)
    {
        if (!string.IsNullOrWhiteSpace(setting))
        {
            return new SecretsKeySource(setting, null);
        }

        var file = dialect is SqliteDialect { Path: not ":memory:" } sqlite
            ? Path.Combine(Path.GetDirectoryName(Path.GetFullPath(sqlite.Path))!, FileName)
            : null;
        return new SecretsKeySource(null, file);
    }

    /// <summary>The key if there is one already (never makes a key file); null when there is none.</summary>
    /// <exception cref="SecretsKeyException">The setting or the key file does not hold a key.</exception>
    public SecretsKey? Existing()
    {
        lock (_gate)
        {
            if (_key is not null)
            {
                return _key;
            }

            if (_setting is not null)
            {
                return _key = Parse(_setting, Setting);
            }

            return File is not null && System.IO.File.Exists(File) ? _key = Parse(System.IO.File.ReadAllText(File), $"the key file {File}") : null;
        }
    }

    /// <summary>The key, making the key file when that is where it comes from and there is none yet.</summary>
    /// <exception cref="SecretsKeyException">There is no key and none can be made (PostgreSQL without the setting).</exception>
    public SecretsKey GetOrCreate()
    {
        lock (_gate)
        {
            if (Existing() is { } key)
            {
                return key;
            }

            if (File is null)
            {
                throw new SecretsKeyException($"{Setting} is not set: give the functions a key for secrets at rest (base64 of 32 bytes, such as the output of 'openssl rand -base64 32')");
            }

            return _key = Parse(KeyFiles.ReadOrCreate(File, () => SecretsKey.GenerateBase64() + "\n"), $"the key file {File}");
        }
    }

    public void Dispose() => _key?.Dispose();

    private static SecretsKey Parse(string text, string where) =>
        SecretsKey.TryParse(text, out var key, out var error) ? key! : throw new SecretsKeyException($"{where} {error}");
}
