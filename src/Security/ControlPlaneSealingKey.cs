namespace Workers.Security;

/// <summary>
/// The functions' sealing key: a secret set over the bus (<c>workers secret set</c> against a broker) travels sealed
/// to its public half, which the functions hand out on request, so that no broker message carries the value in clear.
/// </summary>
public static class ControlPlaneSealingKey
{
    public static string DefaultPath() => Path.Combine(KeyFiles.DefaultDirectory(), "control-sealing.key");

    /// <summary>
    /// Reads <c>WORKERS_SEALING_KEY</c>: the PEM text itself or the path of a key file; unset, the file
    /// <see cref="DefaultPath"/>, made on first use (mode 0600), with its public key written beside it
    /// (<c>control-sealing.pub</c>). Several function instances must share one key: give each the same file or text.
    /// </summary>
    public static SealingKey Load(string? setting) =>
        KeyFiles.Load(setting, DefaultPath(), SealingKey.FromPem, SealingKey.Generate, k => k.ToPem(), k => k.PublicKey);
}
