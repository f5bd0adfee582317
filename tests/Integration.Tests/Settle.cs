namespace Workers.Integration.Tests;

/// <summary>Waits, after a test removed its deployment, until both hosts' heartbeats say what Docker says.</summary>
internal static class Settle
{
    /// <summary>
    /// Until each agent's last heartbeat counts exactly the running containers Docker has for it: the planner places
    /// by heartbeats, so a test that follows must not see replicas that are already gone.
    /// </summary>
    public static async Task HeartbeatsCaughtUpAsync(PipelineFixture fixture)
    {
        var client = fixture.NewClient();
        await Poll.UntilAsync(
            async () =>
            {
                var hosts = (await client.HostsAsync(CancellationToken.None)).Hosts;
                var mismatched = new List<string>();
                foreach (var hostId in new[] { fixture.HostA, fixture.HostB })
                {
                    var running = (await DockerView.ContainersAsync(fixture.Docker, hostId)).Count(c => c.State == "running");
                    if (hosts.FirstOrDefault(h => h.HostId == hostId)?.Replicas != running)
                    {
                        mismatched.Add(hostId);
                    }
                }

                return mismatched;
            },
            mismatched => mismatched.Count == 0,
            TimeSpan.FromSeconds(30),
            "heartbeats matching Docker after cleanup");
    }
}
