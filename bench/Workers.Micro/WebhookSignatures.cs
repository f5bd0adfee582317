using System.Globalization;
using System.Text;
using BenchmarkDotNet.Attributes;
using Workers.Intake.Security;

namespace Workers.Micro;

/// <summary>
/// The webhook intake's HMAC-SHA256 checks on a push-sized body (8 KiB): GitHub's <c>X-Hub-Signature-256</c>, and
/// Standard Webhooks with two secrets (a key being rotated) and the signature of the second.
/// </summary>
[MemoryDiagnoser]
public class WebhookSignatures
{
    private static readonly DateTimeOffset Now = new(2025, 1, 1, 12, 0, 0, TimeSpan.Zero);

    private byte[] _body = [];
    private byte[] _secret = [];
    private string _gitHubHeader = string.Empty;
    private IReadOnlyList<byte[]> _keys = [];
    private string _timestamp = string.Empty;
    private string _standardHeader = string.Empty;

    [GlobalSetup]
    public void Setup()
    {
        _body = Encoding.UTF8.GetBytes("{\"ref\":\"refs/heads/main\",\"payload\":\"" + new string('x', 8 * 1024 - 40) + "\"}");
        _secret = Encoding.UTF8.GetBytes("a webhook secret of reasonable length");
        _gitHubHeader = GitHubSignature.Sign(_secret, _body);
        _keys = [Encoding.UTF8.GetBytes("the old key, still accepted"), Encoding.UTF8.GetBytes("the new key, used to sign")];
        var seconds = Now.ToUnixTimeSeconds();
        _timestamp = seconds.ToString(CultureInfo.InvariantCulture);
        _standardHeader = StandardWebhook.Sign(_keys[1], "msg_2Lh9", seconds, _body);
    }

    [Benchmark(Baseline = true)]
    public SignatureCheck GitHub() => Expect(GitHubSignature.Verify(_secret, _gitHubHeader, _body));

    [Benchmark]
    public SignatureCheck StandardWebhooksTwoKeys() => Expect(StandardWebhook.Verify(_keys, "msg_2Lh9", _timestamp, _standardHeader, _body, Now));

    private static SignatureCheck Expect(SignatureCheck check) => check == SignatureCheck.Valid ? check : throw new InvalidOperationException($"signature check: {check}");
}
