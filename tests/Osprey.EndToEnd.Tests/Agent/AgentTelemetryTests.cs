using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Osprey.Contracts.Identity;
using Osprey.Testing.Processes;

namespace Osprey.EndToEnd.Tests.Agent;

/// <summary>Real activity on this host, recorded by the real agent, found on the real node with the CLI.</summary>
public sealed class AgentTelemetryTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static string Settings(string sensors) =>
        $$"""{ "batchIntervalMs": 200, "syncIntervalSeconds": 2, "backoffInitialMs": 100, "backoffMaxMs": 1000, "sensors": [{{sensors}}] }""";

    [Fact]
    public async Task AProcessStartedWithKnownArguments_ArrivesWithItsHashCommandLineParentAndExit()
    {
        RootCheck.Require();
        await using var node = await NodeProcess.InitAsync(Ct);
        await node.StartAsync(Ct);
        var cli = new OspreyCli(node.Url, node.AdminToken, node.Pin);
        await using var agent = new AgentProcess();
        Assert.Equal(0, (await agent.EnrollAsync(node.Url.ToString(), await AgentUplinkTests.TokenAsync(cli), node.Pin, Settings("\"process\""), Ct)).ExitCode);
        agent.Start();
        await agent.WaitForStatusAsync(s => s.GetProperty("sensors").EnumerateArray().Any(x => x.GetProperty("state").GetString() == "Running"), TimeSpan.FromSeconds(20), Ct);

        var marker = "osprey-e2e-" + Guid.NewGuid().ToString("N")[..8];
        // Alive for half a second, so the exec is read from /proc even on a loaded CI machine (the exec
        // storm benchmark measures capture of processes that live for no time at all).
        using (var child = Process.Start(new ProcessStartInfo("/bin/sh", ["-c", "sleep 0.5; exit 7", marker]))!)
        {
            await child.WaitForExitAsync(Ct);
        }

        // The CLI's own search command line holds the marker too: keep the shell's start.
        var starts = await AgentUplinkTests.WaitForEventsAsync(cli, $"EventType = \"ProcessStart\" AND CommandLine CONTAINS \"{marker}\" AND CommandLine CONTAINS \"exit 7\"", 1);
        var start = Assert.Single(starts, e => e.GetProperty("commandLine").GetString()!.StartsWith("/bin/sh", StringComparison.Ordinal));
        Assert.Equal($"/bin/sh -c \"sleep 0.5; exit 7\" {marker}", start.GetProperty("commandLine").GetString());
        var exe = start.GetProperty("processPath").GetString()!;
        var sha256sum = await CommandRunner.RunAsync("sha256sum", [exe], cancellationToken: Ct);
        Assert.Equal(sha256sum.Stdout.Split(' ')[0], start.GetProperty("sha256").GetString());
        Assert.Equal(OwnUniquePid(agent.AgentId!), start.GetProperty("parentUniquePid").GetString());

        var uniquePid = start.GetProperty("uniquePid").GetString();
        var stops = await AgentUplinkTests.WaitForEventsAsync(cli, $"EventType = \"ProcessStop\" AND UniquePid = \"{uniquePid}\"", 1);
        Assert.Contains("\"exit_code\": 7", Assert.Single(stops).GetProperty("details").GetString(), StringComparison.Ordinal);
    }

    /// <summary>This test process's UniquePID as the agent computes it (agent ID, boot ID, PID, start ticks).</summary>
    private static string OwnUniquePid(string agentId)
    {
        var stat = File.ReadAllText("/proc/self/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        var startTicks = long.Parse(fields[19], CultureInfo.InvariantCulture);
        var bootId = File.ReadAllText("/proc/sys/kernel/random/boot_id").Trim();
        return UniquePid.Compute(agentId, bootId, Environment.ProcessId, startTicks);
    }
}
