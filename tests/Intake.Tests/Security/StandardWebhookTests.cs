using System.Text;
using Workers.Intake.Security;

namespace Workers.Intake.Tests.Security;

public sealed class StandardWebhookTests
{
    // The Standard Webhooks test vector (standard-webhooks/standard-webhooks, libraries' sign tests).
    private const string Secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    private const string Id = "msg_p5jXN8AQM9LWM0D4loKWxJek";
    private const long Timestamp = 1614265330;
    private const string Signature = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";
    private const string Invalid = "v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc=";
    private static readonly byte[] Payload = Encoding.UTF8.GetBytes("""{"test": 2432232314}""");
    private static readonly DateTimeOffset SentAt = DateTimeOffset.FromUnixTimeSeconds(Timestamp);

    private static IReadOnlyList<byte[]> Keys(string secrets)
    {
        Assert.True(StandardWebhook.TryParseSecrets(secrets, out var keys, out var error), error);
        return keys;
    }

    [Fact]
    public void Sign_SpecTestVector_GivesThePublishedSignature() =>
        Assert.Equal(Signature, StandardWebhook.Sign(Keys(Secret)[0], Id, Timestamp, Payload));

    [Fact]
    public void Verify_SpecTestVectorAtItsTimestamp_IsValid() =>
        Assert.Equal(SignatureCheck.Valid, StandardWebhook.Verify(Keys(Secret), Id, "1614265330", Signature, Payload, SentAt));

    [Fact]
    public void TryParseSecrets_WithoutPrefix_IsTheSameKey() =>
        Assert.Equal(Keys(Secret)[0], Keys("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")[0]);

    [Theory]
    [InlineData("whsec_not base64!")]
    [InlineData("whsec_")]
    public void TryParseSecrets_NotBase64_FailsWithoutEchoingTheSecret(string secret)
    {
        Assert.False(StandardWebhook.TryParseSecrets(secret, out _, out var error));
        Assert.DoesNotContain("base64!", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(-299)]
    [InlineData(299)]
    public void Verify_WithinFiveMinutes_IsValid(int seconds) =>
        Assert.Equal(SignatureCheck.Valid, StandardWebhook.Verify(Keys(Secret), Id, "1614265330", Signature, Payload, SentAt.AddSeconds(seconds)));

    [Theory]
    [InlineData(-301)]
    [InlineData(301)]
    public void Verify_MoreThanFiveMinutesOldOrAhead_IsOutsideTolerance(int seconds) =>
        Assert.Equal(SignatureCheck.OutsideTolerance, StandardWebhook.Verify(Keys(Secret), Id, "1614265330", Signature, Payload, SentAt.AddSeconds(seconds)));

    [Fact]
    public void Verify_SeveralSignaturesOneOfThemValid_IsValid() =>
        Assert.Equal(SignatureCheck.Valid, StandardWebhook.Verify(Keys(Secret), Id, "1614265330", $"{Invalid} v2,{Invalid[3..]} {Signature} {Invalid}", Payload, SentAt));

    [Fact]
    public void Verify_OnlyTheSpecsInvalidSignature_IsMismatch() =>
        Assert.Equal(SignatureCheck.Mismatch, StandardWebhook.Verify(Keys(Secret), Id, "1614265330", Invalid, Payload, SentAt));

    [Fact]
    public void Verify_RotatedSecretsConfigured_EitherSignatureIsValid()
    {
        var next = "whsec_" + Convert.ToBase64String(Encoding.UTF8.GetBytes("the next secret, 32 bytes long!!"));
        var keys = Keys($"{Secret} {next}");
        var signedWithNext = StandardWebhook.Sign(keys[1], Id, Timestamp, Payload);

        Assert.Equal(SignatureCheck.Valid, StandardWebhook.Verify(keys, Id, "1614265330", Signature, Payload, SentAt));
        Assert.Equal(SignatureCheck.Valid, StandardWebhook.Verify(keys, Id, "1614265330", signedWithNext, Payload, SentAt));
        Assert.Equal(SignatureCheck.Mismatch, StandardWebhook.Verify(Keys(Secret), Id, "1614265330", signedWithNext, Payload, SentAt));
    }

    [Fact]
    public void Verify_OtherIdOrTimestampOrBody_IsMismatch()
    {
        var keys = Keys(Secret);
        Assert.Equal(SignatureCheck.Mismatch, StandardWebhook.Verify(keys, "msg_other", "1614265330", Signature, Payload, SentAt));
        Assert.Equal(SignatureCheck.Mismatch, StandardWebhook.Verify(keys, Id, "1614265331", Signature, Payload, SentAt));
        Assert.Equal(SignatureCheck.Mismatch, StandardWebhook.Verify(keys, Id, "1614265330", Signature, """{"test": 2432232315}"""u8, SentAt));
    }

    [Theory]
    [InlineData(null, "1614265330", Signature, SignatureCheck.Missing)]
    [InlineData(Id, null, Signature, SignatureCheck.Missing)]
    [InlineData(Id, "1614265330", null, SignatureCheck.Missing)]
    [InlineData(Id, "soon", Signature, SignatureCheck.Malformed)]
    [InlineData(Id, "-1614265330", Signature, SignatureCheck.Malformed)]
    [InlineData(Id, "1614265330", "g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=", SignatureCheck.Malformed)]
    [InlineData(Id, "1614265330", "v1a,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=", SignatureCheck.Malformed)]
    public void Verify_MissingOrUnreadableHeader_IsRefusedWithItsReason(string? id, string? timestamp, string? signature, SignatureCheck expected) =>
        Assert.Equal(expected, StandardWebhook.Verify(Keys(Secret), id, timestamp, signature, Payload, SentAt));

    [Fact]
    public void Verify_NoSecretConfigured_IsNotConfigured() =>
        Assert.Equal(SignatureCheck.NotConfigured, StandardWebhook.Verify([], Id, "1614265330", Signature, Payload, SentAt));
}
