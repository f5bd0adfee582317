namespace Workers.Contracts.Spec;

/// <summary>The transport protocol of a published port.</summary>
public enum Protocol
{
    /// <summary>TCP, the default.</summary>
    Tcp,

    /// <summary>UDP.</summary>
    Udp,
}
