namespace Workers.Security;

/// <summary>The control plane's signing key: every command to an agent is signed with it.</summary>
public static class ControlPlaneKey
{
    public static string DefaultPath() => Path.Combine(KeyFiles.DefaultDirectory(), "control.key");

    /// <summary>
    /// Reads <c>WORKERS_SIGNING_KEY</c>: the PEM text itself (an app setting, a Key Vault reference) or the path of a
    /// key file; unset, the file <see cref="DefaultPath"/>, made on first use. Beside a key file the public key is
    /// written to <c>control.pub</c> (the same name with <c>.pub</c>), which agents on the same machine read by default.
    /// Several function instances must share one key: give each the same file or text.
    /// </summary>
    public static SigningKey Load(string? setting) =>
        KeyFiles.Load(setting, DefaultPath(), pem => SigningKey.FromPem(pem), SigningKey.Generate, k => k.ToPem(), k => k.PublicKey.Base64);
}
