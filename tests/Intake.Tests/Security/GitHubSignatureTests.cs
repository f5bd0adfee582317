using System.Text;
using Workers.Intake.Security;

namespace Workers.Intake.Tests.Security;

public sealed class GitHubSignatureTests
{
    // GitHub's documented example ("Validating webhook deliveries").
    private static readonly byte[] Secret = Encoding.UTF8.GetBytes("It's a Secret to Everybody");
    private static readonly byte[] Payload = Encoding.UTF8.GetBytes("Hello, World!");
    private const string Documented = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17";

    [Fact]
    public void Sign_GitHubDocumentedExample_GivesThePublishedSignature() =>
        Assert.Equal(Documented, GitHubSignature.Sign(Secret, Payload));

    [Fact]
    public void Verify_GitHubDocumentedExample_IsValid() =>
        Assert.Equal(SignatureCheck.Valid, GitHubSignature.Verify(Secret, Documented, Payload));

    [Fact]
    public void Verify_UppercaseHex_IsValid() =>
        Assert.Equal(SignatureCheck.Valid, GitHubSignature.Verify(Secret, "sha256=" + Documented["sha256=".Length..].ToUpperInvariant(), Payload));

    [Fact]
    public void Verify_EveryOneByteChangeOfThePayload_IsMismatch()
    {
        for (var i = 0; i < Payload.Length; i++)
        {
            var changed = (byte[])Payload.Clone();
            changed[i] ^= 0x01;
            Assert.Equal(SignatureCheck.Mismatch, GitHubSignature.Verify(Secret, Documented, changed));
        }
    }

    [Fact]
    public void Verify_OtherSecret_IsMismatch() =>
        Assert.Equal(SignatureCheck.Mismatch, GitHubSignature.Verify("It's a Secret to Everybody!"u8, Documented, Payload));

    [Theory]
    [InlineData(null, SignatureCheck.Missing)]
    [InlineData("", SignatureCheck.Missing)]
    [InlineData("sha1=01b4a3ea3e2d1c2cc16ad8f4bcd8a9c3e4f3f2e1", SignatureCheck.Malformed)]
    [InlineData("sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e1", SignatureCheck.Malformed)]
    [InlineData("sha256=zz7107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17", SignatureCheck.Malformed)]
    [InlineData("757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17", SignatureCheck.Malformed)]
    public void Verify_BadHeader_IsRefusedWithItsReason(string? header, SignatureCheck expected) =>
        Assert.Equal(expected, GitHubSignature.Verify(Secret, header, Payload));

    [Fact]
    public void Verify_NoSecretConfigured_IsNotConfiguredEvenForAnEmptyKeySignature() =>
        Assert.Equal(SignatureCheck.NotConfigured, GitHubSignature.Verify([], GitHubSignature.Sign([], Payload), Payload));
}
