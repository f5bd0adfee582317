using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging.Abstractions;
using Workers.DockerEngine;
using Workers.HostAgent.Runtime;
using Workers.HostAgent.Tests.Support;

namespace Workers.HostAgent.Tests.Engine;

/// <summary>
/// The agent's engine calls against a fake engine over TCP: what goes on the wire (paths, version prefix, query, body)
/// and how the answers are read (errors, 304, chunked and connection-delimited streams).
/// </summary>
public sealed class DockerEngineClientTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Connect_AsksVersionUnversionedThenPinsEveryPathToTheServersApiVersion()
    {
        await using var engine = FakeDockerEngine.Start(
            exchange => exchange.JsonAsync(200, """{"NCPU":3,"MemTotal":4096,"OperatingSystem":"Debian"}"""), apiVersion: "1.43");
        using var runtime = Runtime(engine);

        var capacity = await runtime.GetCapacityAsync(Timeout());

        Assert.Equal(new RuntimeCapacity(3000, 4096), capacity);
        Assert.Equal(["GET /version", "GET /v1.43/info"], engine.Requests.Select(r => $"{r.Method} {r.Path}"));
        Assert.Equal(new Version(1, 43), await runtime.GetApiVersionAsync(Timeout()));
    }

    [Fact]
    public async Task Connect_EngineOlderThan141_IsRefusedAndNothingElseIsAsked()
    {
        await using var engine = FakeDockerEngine.Start(exchange => exchange.StatusAsync(500), apiVersion: "1.40");
        using var runtime = Runtime(engine);

        var failure = await Assert.ThrowsAsync<DockerEngineUnsupportedException>(() => runtime.GetCapacityAsync(Timeout()));

        Assert.Contains("1.40", failure.Message, StringComparison.Ordinal);
        Assert.Equal(["/version"], engine.Requests.Select(r => r.Path));
    }

    [Fact]
    public async Task List_WithLabels_FiltersOnTheEngineAndReadsIdsNamesPortsAndCreation()
    {
        await using var engine = FakeDockerEngine.Start(exchange => exchange.JsonAsync(200, """
            [{"Id":"c1","Names":["/workers-web-0"],"Labels":{"workers.app":"web","other":"x"},"State":"running","Created":1764208885,
              "Ports":[{"IP":"127.0.0.1","PrivatePort":8080,"PublicPort":20001,"Type":"tcp"},{"IP":"::1","PrivatePort":8080,"PublicPort":20001,"Type":"tcp"},{"PrivatePort":9090,"Type":"tcp"}]},
             {"Id":"c2","Names":["/stranger"],"Labels":{"workers.app":"other"},"State":"exited","Created":1764208885,"Ports":[]}]
            """));
        using var runtime = Runtime(engine);

        var containers = await runtime.ListAsync(new Dictionary<string, string> { ["workers.app"] = "web" }, Timeout());

        var list = engine.Requests.Single(r => r.Path == "/v1.41/containers/json");
        Assert.Equal("1", list.Query("all"));
        Assert.Equal("""{"label":{"workers.app=web":true}}""", list.Query("filters"));
        var container = Assert.Single(containers);
        Assert.Equal(("c1", "workers-web-0", true, "running"), (container.Id, container.Name, container.Running, container.State));
        Assert.Equal([new PortPublish(8080, 20001, "tcp")], container.Ports);
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(1764208885), container.CreatedAt);
    }

    [Fact]
    public async Task EnsureRunning_EngineRefusesTheStart_FailsWithTheEnginesMessageAndRemovesTheContainer()
    {
        await using var engine = FakeDockerEngine.Start(exchange => exchange.Request switch
        {
            { Method: "POST", Path: "/v1.41/containers/create" } => exchange.JsonAsync(201, """{"Id":"c0ffee","Warnings":[]}"""),
            { Method: "POST", Path: "/v1.41/containers/c0ffee/start" } => exchange.JsonAsync(500,
                """{"message":"driver failed programming external connectivity on endpoint w: Bind for 127.0.0.1:20001 failed: port is already allocated"}"""),
            { Method: "DELETE", Path: "/v1.41/containers/c0ffee" } => exchange.StatusAsync(204),
            _ => exchange.JsonAsync(404, """{"message":"unexpected"}"""),
        });
        using var runtime = Runtime(engine);

        var outcome = await runtime.EnsureRunningAsync(Launch("workers-web-0", new PortPublish(8080, 20001, "tcp")), Timeout());

        var failed = Assert.IsType<ContainerFailed>(outcome);
        Assert.Equal("container workers-web-0 could not be started: driver failed programming external connectivity on endpoint w: Bind for 127.0.0.1:20001 failed: port is already allocated", failed.Reason);
        Assert.True(failed.HostPortTaken);
        Assert.Equal("1", engine.Requests.Single(r => r.Method == "DELETE").Query("force"));
        var create = engine.Requests.Single(r => r.Path == "/v1.41/containers/create");
        Assert.Equal("workers-web-0", create.Query("name"));
        using var body = JsonDocument.Parse(create.Body);
        var host = body.RootElement.GetProperty("HostConfig");
        Assert.Equal("127.0.0.1", host.GetProperty("PortBindings").GetProperty("8080/tcp")[0].GetProperty("HostIp").GetString());
        Assert.Equal("20001", host.GetProperty("PortBindings").GetProperty("8080/tcp")[0].GetProperty("HostPort").GetString());
        Assert.Equal(JsonValueKind.Object, body.RootElement.GetProperty("ExposedPorts").GetProperty("8080/tcp").ValueKind);
        Assert.Equal("ALL", host.GetProperty("CapDrop")[0].GetString());
        Assert.Equal("no", host.GetProperty("RestartPolicy").GetProperty("Name").GetString());
        Assert.False(body.RootElement.TryGetProperty("Cmd", out _));
    }

    [Fact]
    public async Task EnsureRunning_NoImageAndThePullStreamReportsAnError_FailsWithThatError()
    {
        await using var engine = FakeDockerEngine.Start(async exchange =>
        {
            if (exchange.Request.Path == "/v1.41/images/create")
            {
                // A pull answers 200 at once; what goes wrong later is a message in the stream.
                await exchange.StartChunkedAsync("application/json");
                await exchange.ChunkAsync("""{"status":"Pulling from workers-test/missing"}"""u8.ToArray());
                await exchange.ChunkAsync("\n{\"errorDetail\":{\"message\":\"pull access denied for workers-test/missing\"},\"error\":\"pull acc"u8.ToArray());
                await exchange.ChunkAsync("ess denied for workers-test/missing\"}\n"u8.ToArray());
                await exchange.EndChunkedAsync();
                return;
            }

            await exchange.JsonAsync(404, """{"message":"No such image: workers-test/missing:1"}""");
        });
        using var runtime = Runtime(engine);

        var outcome = await runtime.EnsureRunningAsync(Launch("workers-missing-0") with { Image = "workers-test/missing:1" }, Timeout());

        var failed = Assert.IsType<ContainerFailed>(outcome);
        Assert.Equal("image workers-test/missing:1 is not present and could not be pulled: pull access denied for workers-test/missing", failed.Reason);
        Assert.Equal("workers-test/missing:1", engine.Requests.Single(r => r.Path == "/v1.41/images/create").Query("fromImage"));
    }

    [Fact]
    public async Task Stop_AlreadyStoppedIsDoneAndMissingIsFalse()
    {
        await using var engine = FakeDockerEngine.Start(exchange => exchange.Request.Path switch
        {
            "/v1.41/containers/stopped/stop" => exchange.StatusAsync(304),
            _ => exchange.JsonAsync(404, """{"message":"No such container: gone"}"""),
        });
        using var runtime = Runtime(engine);

        Assert.True(await runtime.StopAsync("stopped", TimeSpan.FromSeconds(2.5), Timeout()));
        Assert.False(await runtime.StopAsync("gone", TimeSpan.FromSeconds(1), Timeout()));
        Assert.Equal("3", engine.Requests.First(r => r.Path == "/v1.41/containers/stopped/stop").Query("t"));
    }

    [Fact]
    public async Task Exec_OutputUntilTheEngineClosesWithAFrameSplitAcrossWrites_ReturnsExitCodeAndOutput()
    {
        await using var engine = FakeDockerEngine.Start(async exchange =>
        {
            switch (exchange.Request.Path)
            {
                case "/v1.41/containers/c0ffee/exec":
                    await exchange.JsonAsync(201, """{"Id":"e1"}""");
                    break;
                case "/v1.41/exec/e1/start":
                    // As the engine answers an exec started without Upgrade: 200, then the output until it closes.
                    var output = Concat(FakeDockerEngine.Frame(1, "checking\n"), FakeDockerEngine.Frame(2, "refused\n"));
                    await exchange.StartUntilCloseAsync("application/vnd.docker.raw-stream");
                    await exchange.WriteAsync(output[..5]);
                    await exchange.WriteAsync(output[5..20]);
                    await exchange.WriteAsync(output[20..]);
                    break;
                default:
                    await exchange.JsonAsync(200, """{"Running":false,"ExitCode":3,"ID":"e1"}""");
                    break;
            }
        });
        using var runtime = Runtime(engine);

        var result = await runtime.ExecAsync("c0ffee", ["sh", "-c", "check"], Patience, Timeout());

        Assert.Equal(new ExecResult(3, "checking\nrefused\n"), result);
        var create = engine.Requests.Single(r => r.Path == "/v1.41/containers/c0ffee/exec");
        Assert.Equal("""{"Cmd":["sh","-c","check"],"AttachStdout":true,"AttachStderr":true}""", create.Body);
        Assert.Equal("""{"Detach":false,"Tty":false}""", engine.Requests.Single(r => r.Path == "/v1.41/exec/e1/start").Body);
    }

    [Fact]
    public async Task Exec_ContainerNotRunning_ThrowsWithTheEnginesWords()
    {
        await using var engine = FakeDockerEngine.Start(exchange =>
            exchange.JsonAsync(409, """{"message":"Container c0ffee is not running"}"""));
        using var runtime = Runtime(engine);

        var failure = await Assert.ThrowsAsync<InvalidOperationException>(() => runtime.ExecAsync("c0ffee", ["true"], Patience, Timeout()));

        Assert.Equal("Container c0ffee is not running", failure.Message);
    }

    [Fact]
    public async Task WatchExits_EventSplitAcrossChunks_IsHandedOnOnceWholeAndNotBefore()
    {
        var firstSeen = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var engine = FakeDockerEngine.Start(async exchange =>
        {
            await exchange.StartChunkedAsync("application/json");
            await exchange.ChunkAsync(Encoding.UTF8.GetBytes(
                """{"Type":"container","Action":"die","Actor":{"ID":"aaa","Attributes":{"workers.app":"web"}},"timeNano":1}""" + "\n" + """{"Type":"container","Action":"destroy","Act"""));
            // The first event must be handed on before the rest of the second has come.
            await firstSeen.Task.WaitAsync(Patience);
            await exchange.ChunkAsync(Encoding.UTF8.GetBytes("""or":{"ID":"bbb","Attributes":{}},"timeNano":2}""" + "\n"));
            await exchange.EndChunkedAsync();
        });
        using var runtime = Runtime(engine);
        var exits = new List<string>();

        await runtime.WatchExitsAsync(
            new Dictionary<string, string> { ["workers.app"] = "web" },
            id =>
            {
                exits.Add(id);
                firstSeen.TrySetResult();
                return Task.CompletedTask;
            },
            Timeout());

        Assert.Equal(["aaa", "bbb"], exits);
        var events = engine.Requests.Single(r => r.Path == "/v1.41/events");
        Assert.Equal("""{"type":{"container":true},"event":{"die":true,"oom":true,"destroy":true},"label":{"workers.app=web":true}}""", events.Query("filters"));
    }

    [Theory]
    [InlineData("https://docker.example:2376")]
    [InlineData("ssh://user@docker.example")]
    [InlineData("npipe://./pipe/docker_engine")]
    public void Client_UnsupportedScheme_IsRefusedSayingSo(string endpoint)
    {
        var failure = Assert.Throws<NotSupportedException>(() => new DockerEngineClient(new Uri(endpoint)));

        Assert.Contains("is not supported", failure.Message, StringComparison.Ordinal);
    }

    private static DockerContainerRuntime Runtime(FakeDockerEngine engine) =>
        new(engine.Endpoint, NullLogger<DockerContainerRuntime>.Instance);

    private static ContainerLaunch Launch(string name, params PortPublish[] ports) =>
        new(name, "workers-test/httpd:1", null, new Dictionary<string, string>(), ports, null, null, new Dictionary<string, string>(), "127.0.0.1");

    private static CancellationToken Timeout() => new CancellationTokenSource(Patience).Token;

    private static byte[] Concat(params byte[][] parts) => [.. parts.SelectMany(part => part)];
}
