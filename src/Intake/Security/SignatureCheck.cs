namespace Workers.Intake.Security;

/// <summary>Why a webhook signature was refused, or that it was not; the reason is logged, never the secret or the body.</summary>
public enum SignatureCheck
{
    /// <summary>The signature is good.</summary>
    Valid,

    /// <summary>No secret is configured for this webhook, so nothing it receives can be trusted.</summary>
    NotConfigured,

    /// <summary>A signature header is missing.</summary>
    Missing,

    /// <summary>A header is there but cannot be read.</summary>
    Malformed,

    /// <summary>The timestamp is more than the tolerance away from now (a replay, or a badly wrong clock).</summary>
    OutsideTolerance,

    /// <summary>No signature matches the body with any configured secret.</summary>
    Mismatch,
}
