namespace Workers.Intake.Security;

/// <summary>
/// A signature check that reads the body as it streams: the headers were found well-formed first, each chunk is
/// hashed as it arrives, and <see cref="Finish"/> compares the digests in constant time.
/// </summary>
public interface IBodySignature : IDisposable
{
    /// <summary>Hashes the next chunk of the body.</summary>
    void Append(ReadOnlySpan<byte> chunk);

    /// <summary><see cref="SignatureCheck.Valid"/> when a presented signature matches the body; else <see cref="SignatureCheck.Mismatch"/>.</summary>
    SignatureCheck Finish();
}
