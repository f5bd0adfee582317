using System.Text;

namespace Workers.Cli.Tests;

/// <summary><c>workers secret</c>: what it refuses before it connects to anything (the broker given is down).</summary>
public sealed class SecretCommandTests
{
    /// <summary>Nothing listens on port 1 of loopback: had the command connected, it would have failed with exit 3.</summary>
    private const string DownBroker = "rabbitmq://workers:secret@127.0.0.1:1/";

    private static async Task<(int Exit, string Out, string Error)> RunAsync(byte[] stdin, params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var exit = await WorkersCli.RunAsync(args, new CliConsole(() => new MemoryStream(stdin), output, error));
        return (exit, output.ToString(), error.ToString());
    }

    [Theory]
    [InlineData("set")]
    [InlineData("rm")]
    public async Task Secret_NameThatIsNoSecretName_IsAUsageErrorBeforeConnecting(string verb)
    {
        var (exit, _, error) = await RunAsync("x"u8.ToArray(), "secret", verb, "DB_Password", "--broker", DownBroker);

        Assert.Equal(2, exit);
        Assert.Equal("workers: 'DB_Password' is not a secret name: may hold only lowercase letters, digits and '-', and must start and end with a letter or digit", error.Trim());
    }

    [Theory]
    [InlineData("")]
    [InlineData("\n")]
    [InlineData("\r\n")]
    public async Task SecretSet_NothingOnStandardInput_IsAUsageErrorBeforeConnecting(string stdin)
    {
        var (exit, output, error) = await RunAsync(Encoding.UTF8.GetBytes(stdin), "secret", "set", "db-password", "--broker", DownBroker);

        Assert.Equal(2, exit);
        Assert.Empty(output);
        Assert.StartsWith("workers: no value for secret db-password: pipe it to standard input", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SecretSet_ValueLargerThan64KiB_IsAUsageErrorThatDoesNotQuoteIt()
    {
        var value = new string('v', (64 * 1024) + 1);

        var (exit, _, error) = await RunAsync(Encoding.UTF8.GetBytes(value), "secret", "set", "db-password", "--broker", DownBroker);

        Assert.Equal(2, exit);
        Assert.Equal("workers: the value of secret db-password is larger than 65,536 bytes", error.Trim());
    }

    [Fact]
    public async Task SecretSet_AValueAndTheBrokerDown_GetsAsFarAsConnecting()
    {
        var (exit, output, error) = await RunAsync("s3cret\n"u8.ToArray(), "secret", "set", "db-password", "--broker", DownBroker, "--timeout", "5");

        Assert.Equal(3, exit);
        Assert.Empty(output);
        Assert.DoesNotContain("s3cret", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SecretList_AsJsonWithTheBrokerDown_PrintsOneJsonError()
    {
        var (exit, output, _) = await RunAsync([], "secret", "list", "-o", "json", "--broker", DownBroker, "--timeout", "5");

        Assert.Equal(3, exit);
        using var document = System.Text.Json.JsonDocument.Parse(output);
        Assert.True(document.RootElement.TryGetProperty("error", out _));
    }
}
