using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Osprey.Testing.Processes;

namespace Osprey.EndToEnd.Tests.Agent;

/// <summary>
/// Network isolation end to end, only ever inside a network namespace the test builds (DESIGN §4): the CLI creates the
/// tasks, the real agent in the namespace applies real nftables rules, and reachability is checked with real TCP
/// connections from inside the namespace to listeners of the test on the other side of the veth pair.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class IsolationTests
{
    private static readonly TimeSpan Blocked = TimeSpan.FromSeconds(2);
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Isolate_KeepsNodeAndExclusionReachable_BlocksTheRest_SurvivesRestart_UntilReleased()
    {
        await using var h = await AgentInNamespace.StartAsync(null, Ct);
        var (excludedAddress, otherAddress) = (h.Network.PeerAddresses[0], h.Network.PeerAddresses[1]);
        using var excluded = Listen(excludedAddress);
        using var other = Listen(otherAddress);
        Assert.True(await ReachableAsync(h, otherAddress, Port(other)), "the other peer is not reachable even before isolation");

        var isolated = await RunTaskAsync(h, "isolate", h.AgentId, "--exclude", $"dir=out,proto=tcp,addr={excludedAddress},rport={Port(excluded)}", "--release-after", "1h");
        AssertState("completed", isolated, h);
        Assert.Equal("ISOLATION_STATE_ON", Report(isolated).GetProperty("isolate").GetProperty("state").GetString());

        await AssertIsolatedAsync(h, excluded, other);
        var shown = await h.WaitForIsolationAsync("On", Ct);
        // The agent keeps talking to its node while isolated: syncs go on.
        var seen = shown.GetProperty("lastSeen").GetDateTimeOffset();
        for (var i = 0; i < 3; i++)
        {
            await WaitUntilAsync(async () => (await h.ShowAsync()).GetProperty("lastSeen").GetDateTimeOffset() > seen, $"sync {i + 1} while isolated", h);
            seen = (await h.ShowAsync()).GetProperty("lastSeen").GetDateTimeOffset();
            Console.WriteLine($"sync seen at {seen:O}");
        }
        var releaseAt = shown.GetProperty("isolationReleaseAt").GetDateTimeOffset();
        Assert.InRange(releaseAt, DateTimeOffset.UtcNow.AddMinutes(58), DateTimeOffset.UtcNow.AddMinutes(61));
        // The machine's own firewall was never touched.
        Assert.NotEqual(0, (await CommandRunner.RunAsync("nft", ["list", "table", "inet", "osprey_isolation"], cancellationToken: Ct)).ExitCode);

        // A restart after a reboot (which empties the kernel's ruleset): the agent applies the isolation again.
        h.Agent.Kill();
        Assert.Equal(0, (await h.Network.ExecAsync("nft", ["flush", "ruleset"], cancellationToken: Ct)).ExitCode);
        Assert.True(await ReachableAsync(h, otherAddress, Port(other)), "the flushed namespace still blocks");
        h.Agent.Start();
        await WaitUntilAsync(async () => await h.TableAsync(Ct) is not null, "the restarted agent to apply the isolation again", h);
        await AssertIsolatedAsync(h, excluded, other);
        await h.WaitForIsolationAsync("On", Ct);

        var released = await RunTaskAsync(h, "release", h.AgentId, "--reason", "investigation over");
        AssertState("completed", released, h);
        Assert.Equal("ISOLATION_STATE_OFF", Report(released).GetProperty("release").GetProperty("state").GetString());
        Assert.Null(await h.TableAsync(Ct));
        Assert.True(await ReachableAsync(h, otherAddress, Port(other)), "the other peer is still blocked after release");
        await h.WaitForIsolationAsync("Off", Ct);
    }

    [Fact]
    public async Task Isolate_ReleasesItselfOnTime_AlsoWhenTheTimePassedWhileTheAgentWasDown()
    {
        await using var h = await AgentInNamespace.StartAsync(null, Ct);
        using var other = Listen(h.Network.PeerAddresses[1]);
        var otherAddress = h.Network.PeerAddresses[1];

        var isolated = await RunTaskAsync(h, "isolate", h.AgentId, "--release-after", "20s");
        AssertState("completed", isolated, h);
        var releaseAtUs = long.Parse(Report(isolated).GetProperty("isolate").GetProperty("releaseAtUs").GetString()!, CultureInfo.InvariantCulture);
        var releaseAt = DateTimeOffset.FromUnixTimeMilliseconds(releaseAtUs / 1000);
        Assert.True(DateTimeOffset.UtcNow < releaseAt - Blocked, $"the task took until {DateTimeOffset.UtcNow:O}, too close to its release time {releaseAt:O}");
        Assert.False(await ReachableAsync(h, otherAddress, Port(other)), $"isolation did not block the other peer; agent log:\n{h.Agent.Log}");

        var clock = Stopwatch.StartNew();
        while (await h.TableAsync(Ct) is not null)
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30), $"isolation was not released by itself; agent log:\n{h.Agent.Log}");
            await Task.Delay(100, Ct);
        }
        var releasedAt = DateTimeOffset.UtcNow;
        Assert.True(releasedAt >= releaseAt, $"released at {releasedAt:O}, before its release time {releaseAt:O}");
        Assert.True(releasedAt - releaseAt < TimeSpan.FromSeconds(3), $"released at {releasedAt:O}, {releasedAt - releaseAt} after {releaseAt:O}");
        Assert.True(await ReachableAsync(h, otherAddress, Port(other)), "the other peer is still blocked after the release time");
        await h.WaitForIsolationAsync("Off", Ct);

        // Isolated again, and the agent is down when the release time comes: it releases at its next start.
        isolated = await RunTaskAsync(h, "isolate", h.AgentId, "--release-after", "15s");
        AssertState("completed", isolated, h);
        h.Agent.Kill();
        releaseAtUs = long.Parse(Report(isolated).GetProperty("isolate").GetProperty("releaseAtUs").GetString()!, CultureInfo.InvariantCulture);
        await Task.Delay(DateTimeOffset.FromUnixTimeMilliseconds(releaseAtUs / 1000) - DateTimeOffset.UtcNow + TimeSpan.FromSeconds(1), Ct);
        Assert.NotNull(await h.TableAsync(Ct)); // nobody released it while the agent was down
        h.Agent.Start();
        await WaitUntilAsync(async () => await h.TableAsync(Ct) is null, "the restarted agent to release the expired isolation", h);
        Assert.True(await ReachableAsync(h, otherAddress, Port(other)), "the other peer is blocked after the expired isolation was released");
        await h.WaitForIsolationAsync("Off", Ct);
    }

    [Fact]
    public async Task Isolate_ThatWouldCutTheAgentFromItsNode_IsRolledBack()
    {
        // Fault injection: the agent's allow-list names an address that is not its node's, so the ruleset cuts it off.
        await using var h = await AgentInNamespace.StartAsync(
            network => $$"""
            "isolation": { "verifySeconds": 4, "faultNodeAddresses": ["{{network.UnusedAddress}}"] }
            """, Ct);
        using var other = Listen(h.Network.PeerAddresses[1]);

        var refused = await RunTaskAsync(h, "isolate", h.AgentId);
        AssertState("failed", refused, h);
        var result = Report(refused).GetProperty("isolate");
        Assert.True(result.GetProperty("rolledBack").GetBoolean());
        Assert.Contains("could not reach its node", result.GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.Contains("rolled back", Errors(refused), StringComparison.Ordinal);

        // Nothing of it stays: no table, the peer reachable, the agent still syncing and reporting isolation off.
        Assert.Null(await h.TableAsync(Ct));
        Assert.True(await ReachableAsync(h, h.Network.PeerAddresses[1], Port(other)), "the rolled-back isolation still blocks");
        var before = (await h.ShowAsync()).GetProperty("lastSeen").GetDateTimeOffset();
        await WaitUntilAsync(async () => (await h.ShowAsync()).GetProperty("lastSeen").GetDateTimeOffset() > before, "the agent to sync again", h);
        Assert.Equal("Off", (await h.ShowAsync()).GetProperty("isolation").GetString());
    }

    [Fact]
    public async Task Cli_RefusesBadExclusionsBeforeCreatingATask()
    {
        var cli = new OspreyCli(new Uri("https://127.0.0.1:1"), "unused", new string('0', 64));
        var bad = await cli.RunAsync("isolate", "some-agent", "--exclude", "dir=out,proto=tcp,addr=10.0.0.1/8");
        Assert.Equal(2, bad.ExitCode);
        Assert.Contains("did you mean 10.0.0.0/8", bad.Stderr, StringComparison.Ordinal);
        var both = await cli.RunAsync("isolate", "some-agent", "--release-after", "1h", "--release-at", "2099-01-01T00:00:00Z");
        Assert.Equal(2, both.ExitCode);
        Assert.Contains("not both", both.Stderr, StringComparison.Ordinal);
    }

    private static async Task AssertIsolatedAsync(AgentInNamespace h, TcpListener excluded, TcpListener other)
    {
        Assert.NotNull(await h.TableAsync(Ct));
        Assert.True(await ReachableAsync(h, h.Network.HostAddress, h.Node.Url.Port), "the node is not reachable while isolated");
        Assert.True(await ReachableAsync(h, ((IPEndPoint)excluded.LocalEndpoint).Address, Port(excluded)), "the excluded address is not reachable while isolated");
        Assert.False(await ReachableAsync(h, ((IPEndPoint)other.LocalEndpoint).Address, Port(other)), "an address that is not excluded is reachable while isolated");
    }

    private static Task<bool> ReachableAsync(AgentInNamespace h, IPAddress address, int port) => h.Network.CanConnectAsync(address, port, Blocked, Ct);

    private static TcpListener Listen(IPAddress address)
    {
        var listener = new TcpListener(address, 0);
        listener.Start();
        return listener;
    }

    private static int Port(TcpListener listener) => ((IPEndPoint)listener.LocalEndpoint).Port;

    /// <summary>Runs <c>osprey isolate|release … --wait --json</c> and returns the task as it ended.</summary>
    private static async Task<JsonElement> RunTaskAsync(AgentInNamespace h, params string[] arguments)
    {
        var result = await h.Cli.RunAsync([.. arguments, "--wait", "--wait-timeout", "90s", "--json"]);
        Assert.True(result.ExitCode is 0 or 4, $"{result}\nagent log:\n{h.Agent.Log}");
        return JsonDocument.Parse(result.Stdout).RootElement[0].Clone();
    }

    private static void AssertState(string expected, JsonElement task, AgentInNamespace h) =>
        Assert.True(task.GetProperty("state").GetString() == expected, $"task is not {expected}: {task}\nagent log:\n{h.Agent.Log}\nnode log:\n{h.Node.Log}");

    private static JsonElement Report(JsonElement task) => task.GetProperty("reports").EnumerateArray().Last().GetProperty("report");

    private static string Errors(JsonElement task) =>
        string.Join("\n", task.GetProperty("reports").EnumerateArray().SelectMany(r => r.GetProperty("report").TryGetProperty("errors", out var e) ? e.EnumerateArray() : [])
            .Select(e => e.GetProperty("message").GetString()));

    private static async Task WaitUntilAsync(Func<Task<bool>> condition, string what, AgentInNamespace h)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"timed out waiting for {what}; agent log:\n{h.Agent.Log}");
            await Task.Delay(200, Ct);
        }
    }
}
