using Microsoft.Extensions.Options;
using Workers.Intake.Security;

namespace Workers.Intake.Tests.Security;

public sealed class ApiTokensTests
{
    private static ApiTokens Tokens(params string[] tokens)
    {
        var options = new IntakeOptions();
        options.ApiTokens.AddRange(tokens);
        return new ApiTokens(Options.Create(options));
    }

    [Theory]
    [InlineData("Bearer alpha")]
    [InlineData("bearer beta")]
    [InlineData("Bearer  alpha ")]
    public void Check_ConfiguredToken_IsValid(string header) =>
        Assert.Equal(TokenCheck.Valid, Tokens("alpha", "beta").Check(header));

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("Bearer ")]
    [InlineData("Basic YWxwaGE6")]
    [InlineData("alpha")]
    public void Check_NoBearerToken_IsMissing(string? header) =>
        Assert.Equal(TokenCheck.Missing, Tokens("alpha").Check(header));

    [Theory]
    [InlineData("Bearer alph")]
    [InlineData("Bearer alphaa")]
    [InlineData("Bearer ALPHA")]
    public void Check_OtherToken_IsWrong(string header) =>
        Assert.Equal(TokenCheck.Wrong, Tokens("alpha").Check(header));

    [Fact]
    public void Check_NoTokensConfigured_EveryTokenIsWrong() =>
        Assert.Equal(TokenCheck.Wrong, Tokens().Check("Bearer anything"));
}
