using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Workers.Intake.Security;
using Xunit.Abstractions;

namespace Workers.Integration.Tests;

/// <summary>
/// The functions host as a process of its own (the in-memory bus, SQLite, the intake on Kestrel at 127.0.0.1) under
/// unauthenticated 24 MiB posts: its resident memory, read from /proc, stays within 100 MB of where it started, and
/// it answers a valid request normally right after. The figures are printed; bench/intake-memory.sh prints the same.
/// </summary>
public sealed class IntakeMemoryTests(ITestOutputHelper output)
{
    private const long Body = 24L * 1024 * 1024;
    private const int Concurrent = 32;
    private const long Bound = 100L * 1000 * 1000;
    private const string Token = "memory-test-token";
    private const string GitHubSecret = "memory test secret";
    private const string WebhookSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(120);

    [Fact]
    public async Task UnauthenticatedLargePosts_LeaveResidentMemoryWithin100MBAndAValidRequestIsAnsweredAfter()
    {
        var port = FixedPorts.Free();
        var address = new Uri($"http://127.0.0.1:{port}");
        var store = Path.Combine(Path.GetTempPath(), $"workers-intake-memory-{Guid.NewGuid():N}.db");
        var start = new ProcessStartInfo("dotnet") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(Builds.Dll("src/Functions.Host", "Workers.Functions.Host.dll"));
        start.Environment["WORKERS_HTTP_URLS"] = address.ToString();
        start.Environment["WORKERS_BROKER"] = "memory";
        start.Environment["WORKERS_STORE"] = store;
        start.Environment["WORKERS_API_TOKENS"] = Token;
        start.Environment["WORKERS_GITHUB_SECRET"] = GitHubSecret;
        start.Environment["WORKERS_WEBHOOK_SECRET"] = WebhookSecret;
        start.Environment["Logging__LogLevel__Default"] = "Warning";
        using var host = Process.Start(start) ?? throw new InvalidOperationException("dotnet did not start");
        var logs = new StringBuilder();
        host.OutputDataReceived += (_, e) => { lock (logs) { logs.AppendLine(e.Data); } };
        host.ErrorDataReceived += (_, e) => { lock (logs) { logs.AppendLine(e.Data); } };
        host.BeginOutputReadLine();
        host.BeginErrorReadLine();
        using var http = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromSeconds(30) };
        var passed = false;
        try
        {
            await Poll.UntilAsync(() => StatusOrZeroAsync(http), s => s == HttpStatusCode.OK, Deadline, "the functions host answering GET /api/hosts");

            // Warm: every path the flood and the checks take has run once before the baseline is read.
            await AssertAnsweredNormallyAsync(http);
            var baseline = Resident(host);
            var peak = baseline;
            using var sampling = new CancellationTokenSource();
            var sampler = Task.Run(async () =>
            {
                while (!sampling.IsCancellationRequested)
                {
                    peak = Math.Max(peak, Resident(host));
                    await Task.Delay(TimeSpan.FromMilliseconds(20), CancellationToken.None);
                }
            });

            var wrongGitHub = GitHubSignature.Sign(Encoding.UTF8.GetBytes("not the secret"), "{}"u8);
            var floods = new (string Name, string Path, Dictionary<string, string> Headers)[]
            {
                ("github, no signature", "/api/hooks/github", new() { ["X-GitHub-Event"] = "push", ["X-GitHub-Delivery"] = "d" }),
                ("github, wrong signature", "/api/hooks/github", new() { ["X-GitHub-Event"] = "push", ["X-GitHub-Delivery"] = "d", ["X-Hub-Signature-256"] = wrongGitHub }),
                ("events, no signature", "/api/hooks/events", new() { ["webhook-id"] = "msg_1" }),
                ("events, wrong signature", "/api/hooks/events", new() { ["webhook-id"] = "msg_1", ["webhook-timestamp"] = Now(), ["webhook-signature"] = "v1," + Convert.ToBase64String(new byte[32]) }),
                ("deployments, wrong token", "/api/deployments", new() { ["Authorization"] = "Bearer wrong-token" }),
            };
            foreach (var (name, path, headers) in floods)
            {
                var clock = Stopwatch.StartNew();
                var outcomes = await IntakeFlood.PostAsync(address, path, headers, Concurrent, Body, Deadline);
                output.WriteLine($"{name}: {Concurrent} x 24 MiB in {clock.Elapsed.TotalSeconds:0.0} s, answers {string.Join(", ", outcomes.GroupBy(o => o).OrderBy(g => g.Key).Select(g => $"{(g.Key == 0 ? "closed" : g.Key.ToString(CultureInfo.InvariantCulture))} x{g.Count()}"))}, resident {Resident(host) / 1e6:0} MB");
                Assert.All(outcomes, o => Assert.Contains(o, new[] { 0, 401, 403, 408, 413, 429 }));
                Assert.Contains(outcomes, o => o != 0);
            }

            await AssertAnsweredNormallyAsync(http);
            await sampling.CancelAsync();
            await sampler;
            var after = Resident(host);
            output.WriteLine($"resident memory: {baseline / 1e6:0} MB before, {peak / 1e6:0} MB at most, {after / 1e6:0} MB after");
            Assert.True(after - baseline < Bound, $"resident memory grew from {baseline / 1e6:0} MB to {after / 1e6:0} MB");
            Assert.True(peak - baseline < Bound, $"resident memory peaked at {peak / 1e6:0} MB from {baseline / 1e6:0} MB");
            passed = true;
        }
        finally
        {
            host.Kill(entireProcessTree: true);
            await host.WaitForExitAsync();
            if (!passed)
            {
                lock (logs)
                {
                    output.WriteLine(logs.ToString());
                }
            }

            foreach (var file in Directory.GetFiles(Path.GetDirectoryName(store)!, Path.GetFileName(store) + "*"))
            {
                File.Delete(file);
            }
        }
    }

    // A signed ping, a spec with the token and a signed deploy event: each answered as it is when nothing else happens.
    private static async Task AssertAnsweredNormallyAsync(HttpClient http)
    {
        var ping = "{\"zen\":\"Keep it logically awesome.\",\"hook_id\":1}"u8.ToArray();
        using var pong = await http.SendAsync(Post("/api/hooks/github", ping, "application/json", ("X-GitHub-Event", "ping"), ("X-GitHub-Delivery", Guid.NewGuid().ToString()), ("X-Hub-Signature-256", GitHubSignature.Sign(Encoding.UTF8.GetBytes(GitHubSecret), ping))));
        Assert.Equal(HttpStatusCode.OK, pong.StatusCode);

        var name = $"mem-{Guid.NewGuid():N}"[..16];
        var spec = Encoding.UTF8.GetBytes($"name: {name}\nimage: {TestImages.Workload}\nports:\n  - container: 8080\n");
        var deploy = Post("/api/deployments", spec, "application/yaml");
        deploy.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Token);
        using var accepted = await http.SendAsync(deploy);
        Assert.Equal(HttpStatusCode.Accepted, accepted.StatusCode);

        var id = $"msg_{Guid.NewGuid():N}";
        var timestamp = Now();
        var body = Encoding.UTF8.GetBytes($"{{\"type\":\"deployment.requested\",\"data\":{{\"name\":\"{name}\",\"image\":\"{TestImages.Workload}\",\"spec\":\"name: {name}\\nimage: {TestImages.Workload}\\n\"}}}}");
        StandardWebhook.TryParseSecrets(WebhookSecret, out var keys, out _);
        using var event202 = await http.SendAsync(Post("/api/hooks/events", body, "application/json", ("webhook-id", id), ("webhook-timestamp", timestamp), ("webhook-signature", StandardWebhook.Sign(keys[0], id, long.Parse(timestamp, CultureInfo.InvariantCulture), body))));
        Assert.Equal(HttpStatusCode.Accepted, event202.StatusCode);
    }

    private static HttpRequestMessage Post(string path, byte[] body, string contentType, params (string Name, string Value)[] headers)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        foreach (var (name, value) in headers)
        {
            request.Headers.Add(name, value);
        }

        return request;
    }

    private static async Task<HttpStatusCode> StatusOrZeroAsync(HttpClient http)
    {
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "/api/hosts");
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Token);
            using var response = await http.SendAsync(request);
            return response.StatusCode;
        }
        catch (HttpRequestException)
        {
            return 0;
        }
    }

    private static string Now() => DateTimeOffset.UtcNow.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);

    // VmRSS of /proc/<pid>/status, in bytes.
    private static long Resident(Process process)
    {
        var line = File.ReadLines($"/proc/{process.Id}/status").First(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
        return long.Parse(line["VmRSS:".Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture) * 1024;
    }
}
