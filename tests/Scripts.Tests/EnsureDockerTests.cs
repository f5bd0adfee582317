using System.Diagnostics;

namespace Workers.Scripts.Tests;

/// <summary>
/// The decision in <c>scripts/lib/docker.sh</c>'s <c>workers_ensure_docker</c>, run by bash with a PATH of stubs:
/// what is on the machine decides whether it installs the engine.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class EnsureDockerTests : IDisposable
{
    private readonly string _bin = Directory.CreateTempSubdirectory("workers-ensure-docker-").FullName;

    public EnsureDockerTests()
    {
        // The few real tools the function runs besides its stubs.
        foreach (var tool in new[] { "id", "date", "cat", "tail", "sleep", "sh", "nohup", "chmod", "touch" })
        {
            var real = new[] { "/usr/bin/", "/bin/" }.Select(d => d + tool).First(File.Exists);
            File.CreateSymbolicLink(Path.Combine(_bin, tool), real);
        }
    }

    [Fact]
    public void EnsureDocker_ClientWithoutEngine_InstallsDockerIo()
    {
        Stub("docker", "exit 1"); // a client alone: nothing answers `docker info`
        Stub("apt-get", $"echo \"$*\" >> '{_bin}/apt-get.calls'");

        var (rc, stderr) = Run();

        var calls = File.ReadAllLines(Path.Combine(_bin, "apt-get.calls"));
        Assert.Contains(calls, c => c.StartsWith("install", StringComparison.Ordinal) && c.Split(' ').Contains("docker.io"));
        Assert.Contains("dockerd not found (a docker client alone is at", stderr, StringComparison.Ordinal);
        // The stub installed nothing, so the function must fail and say so rather than go on without an engine.
        Assert.NotEqual(0, rc);
        Assert.Contains("dockerd is still not on PATH", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void EnsureDocker_NoDockerAtAll_InstallsDockerIoAndStartsTheEngine()
    {
        // apt-get "installs" an engine and a client that answers once dockerd has been started.
        Stub("apt-get", $$"""
            echo "$*" >> '{{_bin}}/apt-get.calls'
            case "$*" in *docker.io*)
              printf '#!/bin/sh\ntouch "{{_bin}}/dockerd.started"\n' > '{{_bin}}/dockerd'; chmod +x '{{_bin}}/dockerd'
              printf '#!/bin/sh\n[ -e "{{_bin}}/dockerd.started" ] || exit 1\n[ "$1" = version ] && echo 1.41\nexit 0\n' > '{{_bin}}/docker'; chmod +x '{{_bin}}/docker';;
            esac
            """);

        var (rc, stderr) = Run();

        Assert.True(rc == 0, stderr);
        Assert.Contains(File.ReadAllLines(Path.Combine(_bin, "apt-get.calls")), c => c.Contains("docker.io", StringComparison.Ordinal));
        Assert.True(File.Exists(Path.Combine(_bin, "dockerd.started")), "dockerd was never started");
        Assert.Contains("docker not found: installing docker.io", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void EnsureDocker_EngineAnswers_InstallsNothing()
    {
        Stub("docker", "[ \"$1\" = version ] && echo 1.41; exit 0");
        Stub("apt-get", $"echo \"$*\" >> '{_bin}/apt-get.calls'; exit 1");

        var (rc, stderr) = Run();

        Assert.True(rc == 0, stderr);
        Assert.False(File.Exists(Path.Combine(_bin, "apt-get.calls")), "apt-get was called although the engine answers");
    }

    public void Dispose() => Directory.Delete(_bin, recursive: true);

    private void Stub(string name, string body)
    {
        var path = Path.Combine(_bin, name);
        File.WriteAllText(path, "#!/bin/sh\n" + body + "\n");
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
    }

    private (int ExitCode, string Stderr) Run()
    {
        var script = Path.Combine(RepositoryRoot(), "scripts", "lib", "docker.sh");
        var start = new ProcessStartInfo("/bin/bash")
        {
            ArgumentList = { "-c", $"source '{script}' && workers_ensure_docker" },
            RedirectStandardError = true,
            RedirectStandardOutput = true,
        };
        start.Environment["PATH"] = _bin;
        start.Environment["WORKERS_DOCKERD_LOG"] = Path.Combine(_bin, "dockerd.log");
        start.Environment["WORKERS_DOCKER_START_TIMEOUT"] = "20";
        start.Environment["WORKERS_DOCKER_PIDFILE"] = Path.Combine(_bin, "docker.pid");
        start.Environment.Remove("DOCKER_API_VERSION");
        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        _ = process.StandardOutput.ReadToEnd();
        if (!process.WaitForExit(TimeSpan.FromSeconds(60)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException("workers_ensure_docker did not return within 60 s");
        }
        return (process.ExitCode, stderr.Result);
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Workers.sln")))
            {
                return dir.FullName;
            }
        }
        throw new InvalidOperationException("Workers.sln not found above " + AppContext.BaseDirectory);
    }
}
