using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Workers.Contracts.Spec;
using Workers.Functions.Store;
using Workers.Intake.Tests.Support;
using Workers.Security;

namespace Workers.Intake.Tests.Http;

/// <summary><c>/api/secrets</c>: set, list and remove with the API token; no answer or log line ever holds a value.</summary>
public sealed class SecretsApiTests : IAsyncLifetime
{
    private readonly string _canary = "canary-" + Guid.NewGuid().ToString("N");
    private IntakeHarness _intake = null!;

    public async Task InitializeAsync()
    {
        var settings = IntakeHarness.DefaultSettings();
        settings[SecretsKeySource.Setting] = SecretsKey.GenerateBase64();
        _intake = await IntakeHarness.StartAsync(settings);
    }

    public async Task DisposeAsync() => await _intake.DisposeAsync();

    [Fact]
    public async Task PutSecret_NewName_Answers201AndIsListedByNameOnly()
    {
        using var put = await PutAsync("db-password", _canary);
        using var list = await _intake.SendAsync(HttpMethod.Get, "/api/secrets");

        Assert.Equal(HttpStatusCode.Created, put.StatusCode);
        var answer = await put.Content.ReadAsStringAsync();
        Assert.Equal("""{"name":"db-password","outcome":"Created"}""", answer);
        Assert.Equal(HttpStatusCode.OK, list.StatusCode);
        using var listed = JsonDocument.Parse(await list.Content.ReadAsStringAsync());
        Assert.Equal("db-password", Assert.Single(listed.RootElement.EnumerateArray()).GetProperty("name").GetString());
        Assert.DoesNotContain(_canary, answer + listed.RootElement.GetRawText(), StringComparison.Ordinal);
        Assert.DoesNotContain(_intake.Logs.Lines, l => l.Contains(_canary, StringComparison.Ordinal));
    }

    [Fact]
    public async Task PutSecret_TheValue_IsStoredAsSentAndEncrypted()
    {
        using var put = await PutAsync("db-password", _canary + "\n");

        var secrets = (ISecretStore)_intake.App.Services.GetService(typeof(ISecretStore))!;
        var value = (await secrets.RevealAsync([SecretName.From("db-password")], CancellationToken.None))[SecretName.From("db-password")];
        Assert.Equal(_canary + "\n", Encoding.UTF8.GetString(value));
    }

    [Fact]
    public async Task PutSecret_Twice_Answers200Updated()
    {
        using var first = await PutAsync("db-password", "one");
        using var second = await PutAsync("db-password", _canary);

        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        Assert.Contains("\"Updated\"", await second.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task PutSecret_NoToken_Answers401AndStoresNothing()
    {
        using var put = await PutAsync("db-password", _canary, token: null);
        using var list = await _intake.SendAsync(HttpMethod.Get, "/api/secrets");

        await DeploymentApiTests.AssertProblemAsync(put, HttpStatusCode.Unauthorized);
        Assert.Equal("[]", await list.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task ListAndDeleteSecrets_WrongToken_Answer403()
    {
        using var list = await _intake.SendAsync(HttpMethod.Get, "/api/secrets", token: "nope");
        using var delete = await _intake.SendAsync(HttpMethod.Delete, "/api/secrets/db-password", token: "nope");

        await DeploymentApiTests.AssertProblemAsync(list, HttpStatusCode.Forbidden);
        await DeploymentApiTests.AssertProblemAsync(delete, HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task PutSecret_NameThatIsNoSecretName_Answers400()
    {
        using var put = await PutAsync("DB_PASSWORD", _canary);

        using var problem = await DeploymentApiTests.AssertProblemAsync(put, HttpStatusCode.BadRequest);
        Assert.Contains("is not a secret name", problem.RootElement.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task PutSecret_ValueWithANulByte_Answers422WithoutQuotingIt()
    {
        using var put = await PutAsync("db-password", _canary + "\0");

        using var problem = await DeploymentApiTests.AssertProblemAsync(put, HttpStatusCode.UnprocessableEntity);
        Assert.DoesNotContain(_canary, problem.RootElement.GetRawText(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task PutSecret_ValueLargerThan64KiB_Answers413()
    {
        using var put = await PutAsync("db-password", new string('v', (64 * 1024) + 1));

        await DeploymentApiTests.AssertProblemAsync(put, HttpStatusCode.RequestEntityTooLarge);
    }

    [Fact]
    public async Task DeleteSecret_KnownThenGone_Answers200Then404()
    {
        using var put = await PutAsync("db-password", _canary);

        using var deleted = await _intake.SendAsync(HttpMethod.Delete, "/api/secrets/db-password");
        using var again = await _intake.SendAsync(HttpMethod.Delete, "/api/secrets/db-password");

        Assert.Equal(HttpStatusCode.OK, deleted.StatusCode);
        await DeploymentApiTests.AssertProblemAsync(again, HttpStatusCode.NotFound);
    }

    private Task<HttpResponseMessage> PutAsync(string name, string value, string? token = IntakeHarness.Token)
    {
        var request = new HttpRequestMessage(HttpMethod.Put, $"/api/secrets/{name}") { Content = new ByteArrayContent(Encoding.UTF8.GetBytes(value)) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        return _intake.Client.SendAsync(request);
    }
}
