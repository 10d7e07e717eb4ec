using System.Globalization;
using System.Text.Json;
using Osprey.Testing.Network;
using Osprey.Testing.Paths;
using Osprey.Testing.Processes;

namespace Osprey.EndToEnd.Tests.Agent;

/// <summary>The real agent process against a real node on loopback: enrollment, pin, failover, lifecycle records.</summary>
public sealed class AgentUplinkTests
{
    /// <summary>Fast intervals for tests; no sensors, so only the agent's own records flow.</summary>
    public const string QuickSettings = """{ "batchIntervalMs": 200, "syncIntervalSeconds": 2, "backoffInitialMs": 100, "backoffMaxMs": 1000, "sensors": ["none"] }""";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task EnrolledAgent_DeliversItsStartRecord_AndStatusNamesTheNode()
    {
        RootCheck.Require();
        await using var node = await NodeProcess.InitAsync(Ct);
        await node.StartAsync(Ct);
        var cli = new OspreyCli(node.Url, node.AdminToken, node.Pin);
        await using var agent = new AgentProcess();
        var enroll = await agent.EnrollAsync(node.Url.ToString(), await TokenAsync(cli), node.Pin, QuickSettings, Ct);
        Assert.True(enroll.ExitCode == 0, enroll.ToString());

        agent.Start();
        var lifecycle = await WaitForEventsAsync(cli, $"EventType = \"AgentLifecycle\" AND AgentId = \"{agent.AgentId}\"", 1);
        Assert.Contains("AGENT_LIFECYCLE_KIND_STARTED", lifecycle[0].GetProperty("details").GetString(), StringComparison.Ordinal);
        var status = await agent.WaitForStatusAsync(s => s.GetProperty("connectionState").GetString() == "connected", TimeSpan.FromSeconds(20), Ct);
        Assert.Equal(node.Url.ToString().TrimEnd('/'), status.GetProperty("nodeInUse").GetString()!.TrimEnd('/'));
        Assert.Equal(agent.AgentId, status.GetProperty("agentId").GetString());

        var shown = await cli.RunAsync("agents", "show", agent.AgentId!, "--json");
        Assert.True(shown.ExitCode == 0, shown.ToString());
        Assert.Contains(Environment.MachineName, shown.Stdout, StringComparison.Ordinal);

        Assert.Equal(0, await agent.StopAsync());
        var stopped = await WaitForEventsAsync(cli, $"EventType = \"AgentLifecycle\" AND AgentId = \"{agent.AgentId}\"", 2);
        Assert.Contains(stopped, e => e.GetProperty("details").GetString()!.Contains("AGENT_LIFECYCLE_KIND_STOPPED", StringComparison.Ordinal));
    }

    [Fact]
    public async Task WrongPin_IsRefusedAtEnrollment_AndAtRunTimeStatusShowsTheCertificateError()
    {
        RootCheck.Require();
        await using var node = await NodeProcess.InitAsync(Ct);
        await node.StartAsync(Ct);
        var cli = new OspreyCli(node.Url, node.AdminToken, node.Pin);
        var wrongPin = new string('a', 64);

        await using var refused = new AgentProcess();
        var enroll = await refused.EnrollAsync(node.Url.ToString(), await TokenAsync(cli), wrongPin, QuickSettings, Ct);
        Assert.Equal(1, enroll.ExitCode);
        Assert.Contains("does not match the pinned CA key", enroll.Stderr, StringComparison.Ordinal);

        await using var agent = new AgentProcess();
        Assert.Equal(0, (await agent.EnrollAsync(node.Url.ToString(), await TokenAsync(cli), node.Pin, QuickSettings, Ct)).ExitCode);
        await agent.EditSettingsAsync(json => json["pin"] = wrongPin, Ct);
        agent.Start();
        var status = await agent.WaitForStatusAsync(s => s.GetProperty("certificateErrors").GetArrayLength() > 0, TimeSpan.FromSeconds(20), Ct);
        Assert.Equal("certificate-error", status.GetProperty("connectionState").GetString());
        var error = status.GetProperty("certificateErrors")[0];
        Assert.Equal("server", error.GetProperty("side").GetString());
        Assert.Contains("does not match the pinned CA key", error.GetProperty("message").GetString(), StringComparison.Ordinal);
        var text = await CommandRunner.RunAsync(AgentProcess.AgentExecutable, ["status", "--state", agent.StateDir], cancellationToken: Ct);
        Assert.Contains("certificate:", text.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task WithTheFirstNodeDown_TheAgentUsesTheSecond()
    {
        RootCheck.Require();
        await using var node = await NodeProcess.InitAsync(Ct);
        await node.StartAsync(Ct);
        var cli = new OspreyCli(node.Url, node.AdminToken, node.Pin);
        var down = string.Create(CultureInfo.InvariantCulture, $"https://127.0.0.1:{FreePort.Next()}");
        await using var agent = new AgentProcess();
        var enroll = await agent.EnrollAsync($"{down},{node.Url}", await TokenAsync(cli), node.Pin, QuickSettings, Ct);
        Assert.True(enroll.ExitCode == 0, enroll.ToString());

        agent.Start();
        await WaitForEventsAsync(cli, $"EventType = \"AgentLifecycle\" AND AgentId = \"{agent.AgentId}\"", 1);
        var status = await agent.WaitForStatusAsync(s => s.GetProperty("connectionState").GetString() == "connected", TimeSpan.FromSeconds(20), Ct);
        Assert.Equal(node.Url.ToString().TrimEnd('/'), status.GetProperty("nodeInUse").GetString()!.TrimEnd('/'));
    }

    [Fact]
    public async Task ThroughAnAuthenticatingConnectProxy_TheAgentEnrollsAndDelivers_AndAWrongPasswordIsRefusedClearly()
    {
        RootCheck.Require();
        await using var node = await NodeProcess.InitAsync(Ct);
        await node.StartAsync(Ct);
        var cli = new OspreyCli(node.Url, node.AdminToken, node.Pin);
        await using var proxy = new ConnectProxy("osprey-agent", "proxy pass 42");
        using var secrets = new TempDirectory("osprey-e2e-proxy");
        var wrongFile = Path.Combine(secrets.Path, "wrong");
        await File.WriteAllTextAsync(wrongFile, "not the password\n", Ct);
        var rightFile = Path.Combine(secrets.Path, "right");
        await File.WriteAllTextAsync(rightFile, "proxy pass 42\n", Ct);

        await using var refused = new AgentProcess();
        var failed = await refused.EnrollAsync(node.Url.ToString(), await TokenAsync(cli), node.Pin, QuickSettings, Ct,
            "--proxy", proxy.Url.ToString(), "--proxy-user", "osprey-agent", "--proxy-password-file", wrongFile);
        Assert.Equal(1, failed.ExitCode);
        Assert.Contains("407", failed.Stderr, StringComparison.Ordinal);
        Assert.Empty(proxy.Tunnels);

        await using var agent = new AgentProcess();
        var enroll = await agent.EnrollAsync(node.Url.ToString(), await TokenAsync(cli), node.Pin, QuickSettings, Ct,
            "--proxy", proxy.Url.ToString(), "--proxy-user", "osprey-agent", "--proxy-password-file", rightFile);
        Assert.True(enroll.ExitCode == 0, enroll.ToString());
        agent.Start();
        await WaitForEventsAsync(cli, $"EventType = \"AgentLifecycle\" AND AgentId = \"{agent.AgentId}\"", 1);

        // Every connection went through the proxy, and the password is in the sealed container, not the settings.
        var nodeAuthority = $"{node.Url.Host}:{node.Url.Port}";
        Assert.NotEmpty(proxy.Tunnels);
        Assert.All(proxy.Tunnels, t => Assert.Equal(nodeAuthority, t));
        var stateFiles = Directory.EnumerateFiles(agent.StateDir, "*", SearchOption.AllDirectories).Where(f => !f.EndsWith("enroll-settings.json", StringComparison.Ordinal));
        Assert.All(stateFiles, f => Assert.DoesNotContain("proxy pass 42", File.ReadAllText(f), StringComparison.Ordinal));
    }

    [Fact]
    public async Task KilledAgent_ReportsTheAbnormalStopWhenItStartsAgain()
    {
        RootCheck.Require();
        await using var node = await NodeProcess.InitAsync(Ct);
        await node.StartAsync(Ct);
        var cli = new OspreyCli(node.Url, node.AdminToken, node.Pin);
        await using var agent = new AgentProcess();
        Assert.Equal(0, (await agent.EnrollAsync(node.Url.ToString(), await TokenAsync(cli), node.Pin, QuickSettings, Ct)).ExitCode);
        agent.Start();
        await WaitForEventsAsync(cli, $"EventType = \"AgentLifecycle\" AND AgentId = \"{agent.AgentId}\"", 1);
        agent.Kill();

        agent.Start();
        var events = await WaitForEventsAsync(cli, $"EventType = \"AgentLifecycle\" AND AgentId = \"{agent.AgentId}\"", 3);
        Assert.Contains(events, e => e.GetProperty("details").GetString()!.Contains("AGENT_LIFECYCLE_KIND_ABNORMAL_STOP", StringComparison.Ordinal));
        var sequences = events.Select(e => e.GetProperty("sequence").GetInt64()).Order().ToList();
        Assert.Equal(Enumerable.Range(1, sequences.Count).Select(i => (long)i), sequences);
    }

    public static async Task<string> TokenAsync(OspreyCli cli)
    {
        var token = await cli.RunAsync("tokens", "create", "--ttl", "1h", "--uses", "1");
        Assert.True(token.ExitCode == 0, token.ToString());
        return token.Stdout.Trim();
    }

    /// <summary>Searches until at least <paramref name="atLeast"/> events match (30 s), returning them.</summary>
    public static async Task<List<JsonElement>> WaitForEventsAsync(OspreyCli cli, string query, int atLeast, int limit = 1000)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        List<JsonElement> found = [];
        while (DateTime.UtcNow < deadline)
        {
            var search = await cli.RunAsync("events", "search", query, "--limit", limit.ToString(CultureInfo.InvariantCulture), "--json");
            Assert.True(search.ExitCode == 0, search.ToString());
            found = [.. JsonDocument.Parse(search.Stdout).RootElement.EnumerateArray().Select(e => e.Clone())];
            if (found.Count >= atLeast)
            {
                return found;
            }
            await Task.Delay(300, Ct);
        }
        Assert.Fail($"only {found.Count} of {atLeast} events matched {query} within 30 s");
        return found;
    }
}
