using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Workers.Functions.Store;

namespace Workers.Integration.Tests;

/// <summary>
/// A secret end to end, against the real broker and Docker: set with <c>workers secret set</c> over RabbitMQ, referred
/// to by a spec deployed with <c>workers deploy</c>, its value (a random canary) in the running container's environment
/// and nowhere else: not in the store's files, in any message the broker saw, in any log line, in what <c>status</c>,
/// <c>history</c> and <c>secret list</c> answer over the bus or the CLI, or in what the HTTP API answers.
/// </summary>
[Collection(SecretsCollection.Name)]
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class SecretsTests(SecretsFixture fixture)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { Converters = { new JsonStringEnumConverter() } };

    [Fact]
    public async Task Secret_SetAndDeployedOverTheBus_IsInTheContainersEnvironmentAndNowhereElse()
    {
        var canary = "canary-" + Guid.NewGuid().ToString("N");
        var secret = $"db-password-{Guid.NewGuid():N}"[..24];
        var name = $"secret-{Guid.NewGuid():N}"[..20];
        var spec = Path.Combine(fixture.Directory, $"{name}.yaml");
        await File.WriteAllTextAsync(spec, $"name: {name}\nimage: {TestImages.Workload}\nports:\n  - container: 8080\nenv:\n  DB_PASSWORD: {{ secret: {secret} }}\n  GREETING: hello\n");
        var seen = new List<(string Where, string Text)>();

        // Set over the bus, as a user would: the value on standard input with a trailing newline, which is dropped.
        var set = await fixture.WorkersAsync(canary + "\n", "secret", "set", secret);
        Assert.True(set.Exit == 0, set.ToString());
        Assert.Equal($"secret {secret} created", set.Out.Trim());
        var deploy = await fixture.WorkersAsync(null, "deploy", spec, "--wait");
        Assert.True(deploy.Exit == 0, deploy.ToString());

        // In the container's environment, exactly.
        var container = Assert.Single(await DockerView.ContainersAsync(fixture.Docker, fixture.HostId, name));
        var inspected = await fixture.Docker.Containers.InspectContainerAsync(container.ID);
        Assert.NotNull(inspected.Config);
        Assert.Contains($"DB_PASSWORD={canary}", inspected.Config.Env);
        Assert.Contains("GREETING=hello", inspected.Config.Env);

        // What the CLI prints and what the bus answers.
        var client = fixture.NewClient();
        var list = await fixture.WorkersAsync(null, "secret", "list");
        var status = await fixture.WorkersAsync(null, "status", name, "-o", "json");
        var history = await fixture.WorkersAsync(null, "history", name, "-o", "json");
        Assert.True(status.Exit == 0 && history.Exit == 0 && list.Exit == 0, $"{status}\n{history}\n{list}");
        Assert.Contains(secret, list.Out, StringComparison.Ordinal);
        foreach (var run in new[] { ("secret set", set), ("deploy", deploy), ("secret list", list), ("status", status), ("history", history) })
        {
            seen.Add(($"workers {run.Item1}", run.Item2.Out + run.Item2.Error));
        }

        seen.Add(("status reply", JsonSerializer.Serialize(await client.StatusAsync(name, null, CancellationToken.None), Json)));
        var historyReply = JsonSerializer.Serialize(await client.HistoryAsync(name, CancellationToken.None), Json);
        Assert.Contains($"\"secret\":\"{secret}\"", historyReply, StringComparison.Ordinal);
        seen.Add(("history reply", historyReply));
        seen.Add(("secrets reply", JsonSerializer.Serialize(await client.ListSecretsAsync(CancellationToken.None), Json)));
        var eventsReply = JsonSerializer.Serialize(await client.EventsAsync(name, null, null, 1000, CancellationToken.None), Json);
        Assert.Contains("replica.running", eventsReply, StringComparison.Ordinal);
        seen.Add(("events reply", eventsReply));

        // What the HTTP API answers.
        using var http = new HttpClient { BaseAddress = fixture.IntakeAddress };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", fixture.IntakeToken);
        foreach (var path in new[] { "/api/secrets", "/api/deployments", $"/api/deployments/{name}", $"/api/deployments/{name}/history", "/api/hosts", $"/api/events?name={name}" })
        {
            using var response = await http.GetAsync(new Uri(path, UriKind.Relative));
            var body = await response.Content.ReadAsStringAsync();
            Assert.True(response.IsSuccessStatusCode, $"GET {path}: {(int)response.StatusCode} {body}");
            seen.Add(($"GET {path}", body));
        }

        var delete = await fixture.WorkersAsync(null, "delete", name, "--wait");
        Assert.True(delete.Exit == 0, delete.ToString());
        seen.Add(("workers delete", delete.Out + delete.Error));

        // The store's files (the database and its journal), encrypted at rest under the key file beside them.
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        var storeFiles = Directory.GetFiles(fixture.Directory, "workers.db*");
        Assert.NotEmpty(storeFiles);
        var keyFile = Path.Combine(fixture.Directory, SecretsKeySource.FileName);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(keyFile));
        var needles = new[] { Encoding.UTF8.GetBytes(canary), Encoding.Unicode.GetBytes(canary), Encoding.ASCII.GetBytes(Convert.ToBase64String(Encoding.UTF8.GetBytes(canary))[..20]) };
        foreach (var file in storeFiles)
        {
            var bytes = await File.ReadAllBytesAsync(file);
            Assert.All(needles, needle => Assert.True(bytes.AsSpan().IndexOf(needle) < 0, $"{file} holds the secret's value"));
        }

        // Every message the broker saw: the value travelled sealed, in the messages that carried it.
        var messages = await fixture.TracedMessagesAsync();
        Assert.Contains(messages, m => m.RoutingKey.StartsWith("publish.", StringComparison.Ordinal) && Encoding.UTF8.GetString(m.Body).Contains("\"sealedValue\"", StringComparison.Ordinal));
        Assert.Contains(messages, m => Encoding.UTF8.GetString(m.Body).Contains("\"sealedEnv\"", StringComparison.Ordinal) && Encoding.UTF8.GetString(m.Body).Contains("\"DB_PASSWORD\"", StringComparison.Ordinal));
        foreach (var (routingKey, body) in messages)
        {
            Assert.All(needles, needle => Assert.True(body.AsSpan().IndexOf(needle) < 0, $"the message {routingKey} holds the secret's value: {Encoding.UTF8.GetString(body)}"));
        }

        // Every log line of the functions, the intake, the agent and the client, at every level.
        Assert.NotEmpty(fixture.Logs.Lines);
        Assert.Contains(fixture.Logs.Lines, l => l.Contains($"Secret {secret} Created", StringComparison.Ordinal));
        seen.AddRange(fixture.Logs.Lines.Select(l => ("log", l)));
        Assert.All(seen, s => Assert.False(s.Text.Contains(canary, StringComparison.Ordinal), $"{s.Where} shows the secret's value: {s.Text}"));
    }
}
