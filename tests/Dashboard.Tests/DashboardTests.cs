using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Deque.AxeCore.Playwright;
using Microsoft.Playwright;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace Workers.Dashboard.Tests;

/// <summary>
/// The dashboard in a real browser: Debian's chromium, headless, driven by Playwright, against the fixture's functions
/// host, agents and broker. Every view it passes through is checked with axe.
/// </summary>
[Collection(DashboardCollection.Name)]
public sealed class DashboardTests(DashboardFixture fixture, ITestOutputHelper output)
{
    private const float Slow = 180_000;

    [Fact]
    public async Task Dashboard_DeployAFailingRolloutAManualRollbackAndDelete_ShowsWhatWorkersStatusSaysWithNoSeriousAccessibilityViolations()
    {
        using var api = fixture.NewApiClient();
        var name = Specs.Name("dash");
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new()
        {
            ExecutablePath = Chromium(),
            Headless = true,
            // As root (scripts/test.sh in a container or CI) chromium refuses to start with its sandbox.
            Args = ["--no-sandbox"],
        });
        var page = await browser.NewPageAsync(new() { ViewportSize = new() { Width = 1280, Height = 900 } });
        var failures = new List<string>();
        // A script error or a refused Content-Security-Policy fails the test; an API answer of 404 or 422 (logged by the
        // browser as a failed load) is what the test asks for.
        page.Console += (_, message) =>
        {
            if (message.Type == "error" && !message.Text.StartsWith("Failed to load resource", StringComparison.Ordinal))
            {
                failures.Add(message.Text);
            }
        };
        page.PageError += (_, error) => failures.Add(error);
        page.SetDefaultTimeout(30_000);
        SetDefaultExpectTimeout(30_000);

        // Signing in: the token page, then the (empty or not) deployments list.
        await page.GotoAsync(new Uri(fixture.IntakeAddress, "/").ToString());
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Sign in" })).ToBeVisibleAsync();
        await AssertAccessibleAsync(page, "sign in");
        await page.GetByLabel("API token").FillAsync(fixture.IntakeToken);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Deployments" })).ToBeVisibleAsync();
        Assert.DoesNotContain(fixture.IntakeToken, page.Url, StringComparison.Ordinal);

        // A spec with a problem: shown at its line, nothing deployed.
        await Nav(page, "Deploy a spec").ClickAsync();
        var editor = page.GetByLabel("Spec", new() { Exact = true });
        await editor.FillAsync(Specs.Http(name, 2, "1", "/healthz").Replace("replicas: 2", "replicas: 0", StringComparison.Ordinal));
        await page.GetByRole(AriaRole.Button, new() { Name = "Check" }).ClickAsync();
        await Expect(page.Locator("#problems li[data-line='3']")).ToContainTextAsync("replicas");
        await Expect(page.Locator(".gutter span.problem[data-line='3']")).ToHaveCountAsync(1);
        await AssertAccessibleAsync(page, "editor with a problem");
        using (var gone = await api.GetAsync($"/api/deployments/{name}"))
        {
            Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);
        }

        // The good spec: checked, deployed, and shown running as the API shows it.
        await editor.FillAsync(Specs.Http(name, 2, "1", "/healthz"));
        await page.GetByRole(AriaRole.Button, new() { Name = "Check" }).ClickAsync();
        await Expect(page.Locator("#outcome")).ToContainTextAsync("The spec is valid");
        await page.GetByRole(AriaRole.Button, new() { Name = "Deploy" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = $"Deployment {name}" })).ToBeVisibleAsync();
        await Expect(page.Locator("#state")).ToHaveTextAsync("Running", new() { Timeout = Slow });
        await AssertReplicasAsShownAsync(page, name);
        await AssertAccessibleAsync(page, "a running deployment");

        // A rollout whose health check fails: rolled back to revision 1, and the history says so.
        await Nav(page, "Deploy a spec").ClickAsync();
        await editor.FillAsync(Specs.Http(name, 2, "2", "/does-not-exist"));
        await page.GetByRole(AriaRole.Button, new() { Name = "Deploy" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = $"Deployment {name}" })).ToBeVisibleAsync();
        await Expect(page.Locator("tr[data-revision='2']")).ToContainTextAsync("rolled back to revision 1", new() { Timeout = Slow });
        await Expect(page.Locator("#state")).ToHaveTextAsync("RolledBack", new() { Timeout = Slow });
        var history = await api.GetFromJsonAsync<JsonElement>($"/api/deployments/{name}/history");
        var second = history.EnumerateArray().Single(r => r.GetProperty("revision").GetInt64() == 2);
        Assert.Equal("RolledBack", second.GetProperty("state").GetString());
        await Expect(page.Locator("tr[data-revision='2']")).ToContainTextAsync(second.GetProperty("reason").GetString()!);
        await Expect(page.Locator("tr[data-revision='1']")).ToContainTextAsync("Running");
        await Expect(page.Locator(".events")).ToContainTextAsync("deployment.rolledback");
        await AssertReplicasAsShownAsync(page, name);
        await AssertAccessibleAsync(page, "a rolled-back deployment");
        await page.ScreenshotAsync(new() { Path = ScreenshotPath(), FullPage = false });

        // A healthy revision 3, then rolled back by hand from the history: revision 1's spec again, as revision 4.
        await Nav(page, "Deploy a spec").ClickAsync();
        await editor.FillAsync(Specs.Http(name, 2, "3", "/healthz"));
        await page.GetByRole(AriaRole.Button, new() { Name = "Deploy" }).ClickAsync();
        await Expect(page.Locator("#revision")).ToHaveTextAsync("3", new() { Timeout = Slow });
        await Expect(page.Locator("#state")).ToHaveTextAsync("Running", new() { Timeout = Slow });
        await page.Locator("tr[data-revision='1']").GetByRole(AriaRole.Button, new() { Name = "Roll back to revision 1" }).ClickAsync();
        await Expect(page.Locator("#revision")).ToHaveTextAsync("4", new() { Timeout = Slow });
        await Expect(page.Locator("#state")).ToHaveTextAsync("Running", new() { Timeout = Slow });
        await Expect(page.Locator("tr[data-revision='4']")).ToContainTextAsync("(current)");
        await Expect(page.Locator("tr[data-revision='3']")).ToContainTextAsync("Superseded");
        await AssertReplicasAsShownAsync(page, name);

        // Hosts and live events.
        await Nav(page, "Hosts").ClickAsync();
        foreach (var host in new[] { fixture.HostA, fixture.HostB })
        {
            await Expect(page.Locator($"tr[data-host='{host}']")).ToContainTextAsync("yes");
        }

        await AssertAccessibleAsync(page, "hosts");
        await Nav(page, "Events").ClickAsync();
        await Expect(page.Locator("#live-events")).ToContainTextAsync($"{name} r2");
        await AssertAccessibleAsync(page, "events");

        // Delete, confirmed in the browser's dialog: gone from the dashboard and from the API.
        await page.GotoAsync(new Uri(fixture.IntakeAddress, $"/ui/#/deployments/{name}").ToString());
        page.Dialog += async (_, dialog) => await dialog.AcceptAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Delete" }).ClickAsync();
        await Expect(page.Locator("#gone")).ToBeVisibleAsync(new() { Timeout = Slow });
        using (var deleted = await api.GetAsync($"/api/deployments/{name}"))
        {
            Assert.Equal(HttpStatusCode.NotFound, deleted.StatusCode);
        }

        await Nav(page, "Deployments").ClickAsync();
        await Expect(page.Locator($"tr[data-name='{name}']")).ToHaveCountAsync(0);
        Assert.True(failures.Count == 0, $"the page logged errors: {string.Join(" | ", failures)}");
    }

    private static ILocator Nav(IPage page, string link) =>
        page.GetByRole(AriaRole.Navigation, new() { Name = "Main" }).GetByRole(AriaRole.Link, new() { Name = link, Exact = true });

    /// <summary>
    /// Until each replica's row says what <c>workers status NAME -o json</c> (the CLI as a process, over the server's
    /// HTTP API) says of it (its host, state, health and address) and the revision matches: the page reads again on
    /// events and every 5 s, and a loaded machine's health checks can still move.
    /// </summary>
    private async Task AssertReplicasAsShownAsync(IPage page, string name) =>
        await Poll.UntilAsync(
            async () =>
            {
                var run = await CliProcess.RunAsync(
                    ["status", name, "-o", "json", "--server", fixture.IntakeAddress.ToString()],
                    new Dictionary<string, string> { ["WORKERS_TOKEN"] = fixture.IntakeToken });
                Assert.True(run.Exit == 0, $"workers status {name}: {run}");
                var status = JsonDocument.Parse(run.Out).RootElement.EnumerateArray().Single();
                var rows = await page.Locator("tr[data-replica]").AllInnerTextsAsync();
                var revision = await page.Locator("#revision").InnerTextAsync();
                var expected = status.GetProperty("replicas").EnumerateArray().Select(r => new[]
                {
                    r.GetProperty("index").GetInt32().ToString(System.Globalization.CultureInfo.InvariantCulture), r.GetProperty("hostId").GetString()!,
                    r.GetProperty("state").GetString()!, Optional(r, "health"), Optional(r, "address"),
                }).ToList();
                var matches = revision == status.GetProperty("revision").GetInt64().ToString(System.Globalization.CultureInfo.InvariantCulture)
                    && rows.Count == expected.Count
                    && rows.Zip(expected).All(pair => pair.Second.All(field => pair.First.Contains(field, StringComparison.OrdinalIgnoreCase)));
                return (matches, $"page r{revision} [{string.Join(" | ", rows)}], workers status {status}");
            },
            seen => seen.matches,
            TimeSpan.FromSeconds(90),
            $"the dashboard showing {name}'s replicas as `workers status {name}` does");

    private static string Optional(JsonElement element, string property) =>
        element.TryGetProperty(property, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString()! : string.Empty;

    private async Task AssertAccessibleAsync(IPage page, string view)
    {
        var result = await page.RunAxe();
        var serious = result.Violations.Where(v => v.Impact is "serious" or "critical").ToList();
        foreach (var violation in result.Violations)
        {
            output.WriteLine($"axe ({view}): {violation.Impact} {violation.Id}: {violation.Help} ({violation.Nodes.Length} node(s))");
        }

        Assert.True(serious.Count == 0, $"axe found serious or critical violations on {view}: {string.Join("; ", serious.Select(v => $"{v.Id}: {v.Help} at {string.Join(", ", v.Nodes.Select(n => n.Html))}"))}");
    }

    /// <summary>Debian's chromium, which scripts/test-env.sh installs (Playwright's own browser download is not reachable).</summary>
    private static string Chromium()
    {
        var path = Environment.GetEnvironmentVariable("WORKERS_TEST_CHROMIUM") is { Length: > 0 } set ? set : "/usr/bin/chromium";
        return File.Exists(path)
            ? path
            : throw new InvalidOperationException($"The dashboard test needs chromium at {path} (set WORKERS_TEST_CHROMIUM): `apt-get install -y chromium`, or run scripts/test.sh, which installs it.");
    }

    /// <summary>
    /// Where the picture goes: artifacts/dashboard.png beside the test results, so a test run leaves the repository as it
    /// was; docs/images/dashboard.png (which docs/dashboard.md shows) only when WORKERS_UPDATE_SCREENSHOT=1 asks for it.
    /// </summary>
    private static string ScreenshotPath()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "Workers.sln")))
        {
            directory = directory.Parent;
        }

        var root = directory?.FullName ?? throw new InvalidOperationException("Workers.sln not found above the test's directory");
        var target = Environment.GetEnvironmentVariable("WORKERS_UPDATE_SCREENSHOT") == "1"
            ? Path.Combine(root, "docs", "images")
            : Path.Combine(root, "artifacts");
        Directory.CreateDirectory(target);
        return Path.Combine(target, "dashboard.png");
    }
}
