namespace Workers.Contracts.Messages;

/// <summary>
/// A message its sender signs: commands to agents are signed by the control plane, an agent's results and heartbeats
/// by that agent. The receiver checks the signature against the key it trusts for the sender before acting.
/// </summary>
public interface ISignedMessage
{
    /// <summary>The sender's signature; null on a message that was never signed (which every receiver refuses).</summary>
    MessageSignature? Signature { get; }

    /// <summary>The same message with <paramref name="signature"/> (null: the form that is signed).</summary>
    ISignedMessage WithSignature(MessageSignature? signature);
}
