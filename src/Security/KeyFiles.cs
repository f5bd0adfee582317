using System.Security.Cryptography;
using System.Text;

namespace Workers.Security;

/// <summary>
/// Key files: PEM blocks with Workers' own labels, written once with mode 0600 (owner only) and read at every start.
/// </summary>
public static class KeyFiles
{
    public const string SigningLabel = "WORKERS SIGNING KEY";
    public const string SealingLabel = "WORKERS SEALING KEY";

    /// <summary>The default directory for key files: beside the embedded store (<c>~/.local/share/workers</c>).</summary>
    public static string DefaultDirectory() =>
        Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData, Environment.SpecialFolderOption.Create), "workers");

    /// <summary>The DER bytes of the block labelled <paramref name="label"/> in <paramref name="pem"/>.</summary>
    public static byte[] Block(string pem, string label)
    {
        ArgumentNullException.ThrowIfNull(pem);
        var rest = pem.AsMemory();
        while (PemEncoding.TryFind(rest.Span, out var fields))
        {
            if (rest.Span[fields.Label].SequenceEqual(label))
            {
                return Convert.FromBase64String(rest.Span[fields.Base64Data].ToString());
            }

            rest = rest[fields.Location.End..];
        }

        throw new FormatException($"no '-----BEGIN {label}-----' block");
    }

    public static string Pem(string label, byte[] der) => new string(PemEncoding.Write(label, der)) + "\n";

    /// <summary>
    /// Reads the key file at <paramref name="path"/>, or makes it with <paramref name="create"/> when there is none:
    /// created with mode 0600 before anything is written to it, and never overwritten (two processes starting at once
    /// both end up with the file the first one wrote).
    /// </summary>
    public static string ReadOrCreate(string path, Func<string> create)
    {
        ArgumentNullException.ThrowIfNull(create);
        if (File.Exists(path))
        {
            return File.ReadAllText(path);
        }

        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);

        // Written whole to a file of its own (0600 from its creation), then moved into place without overwriting: a
        // process starting beside this one reads either no file or the whole key, never a half-written one.
        var text = create();
        var temporary = $"{path}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp";
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        try
        {
            using (var stream = new FileStream(temporary, options))
            {
                stream.Write(Encoding.ASCII.GetBytes(text));
                stream.Flush(flushToDisk: true);
            }

            File.Move(temporary, path, overwrite: false);
            return text;
        }
        catch (IOException) when (File.Exists(path))
        {
            return File.ReadAllText(path);
        }
        finally
        {
            File.Delete(temporary);
        }
    }

    /// <summary>
    /// A key from a setting that is either the PEM text itself (an app setting, a Key Vault reference) or a key file's
    /// path; unset, <paramref name="defaultPath"/>. A key file is made on first use (<see cref="ReadOrCreate"/>) and its
    /// public key written beside it (<see cref="WritePublic"/>).
    /// </summary>
    public static T Load<T>(string? setting, string defaultPath, Func<string, T> fromPem, Func<T> generate, Func<T, string> toPem, Func<T, string> publicKey)
        where T : IDisposable
    {
        ArgumentNullException.ThrowIfNull(fromPem);
        ArgumentNullException.ThrowIfNull(publicKey);
        if (setting is { } text && text.Contains("-----BEGIN", StringComparison.Ordinal))
        {
            return fromPem(text);
        }

        if (setting is { } reference && reference.TrimStart().StartsWith("@Microsoft.KeyVault", StringComparison.OrdinalIgnoreCase))
        {
            // An app setting whose Key Vault reference did not resolve: never a path to make a new key at.
            throw new FormatException("the setting is a Key Vault reference that did not resolve to the key (check the app's access to the vault)");
        }

        var path = string.IsNullOrWhiteSpace(setting) ? defaultPath : setting.Trim();
        var key = fromPem(ReadOrCreate(path, () =>
        {
            using var fresh = generate();
            return toPem(fresh);
        }));
        WritePublic(path, publicKey(key));
        return key;
    }

    /// <summary>Writes a public key beside its private key (<c>NAME.pub</c>), readable by anyone: it is no secret.</summary>
    public static void WritePublic(string privatePath, string publicText)
    {
        var path = Path.ChangeExtension(privatePath, ".pub");
        try
        {
            if (!File.Exists(path) || File.ReadAllText(path).Trim() != publicText)
            {
                File.WriteAllText(path, publicText + "\n");
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // A key on a read-only mount (a Docker or Kubernetes secret): the public key is a convenience, not a need.
        }
    }
}
