using System.Globalization;
using System.Text.Json;
using Osprey.Contracts.Identity;
using Osprey.Testing.Processes;

namespace Osprey.EndToEnd.Tests.Agent;

/// <summary>A real node on loopback and a real agent enrolled to it, running the sensors a test names.</summary>
public sealed class AgentOnNode : IAsyncDisposable
{
    private AgentOnNode(NodeProcess node, OspreyCli cli, AgentProcess agent)
    {
        Node = node;
        Cli = cli;
        Agent = agent;
    }

    public NodeProcess Node { get; }

    public OspreyCli Cli { get; }

    public AgentProcess Agent { get; }

    /// <summary>
    /// Starts both and waits until every named sensor runs. <paramref name="settings"/> are further agent.json
    /// members (a JSON object's body, without braces).
    /// </summary>
    public static async Task<AgentOnNode> StartAsync(string[] sensors, string? settings, CancellationToken cancellationToken)
    {
        RootCheck.Require();
        var node = await NodeProcess.InitAsync(cancellationToken);
        var agent = new AgentProcess();
        try
        {
            await node.StartAsync(cancellationToken);
            var cli = new OspreyCli(node.Url, node.AdminToken, node.Pin);
            var names = string.Join(", ", sensors.Select(s => $"\"{s}\""));
            var json = $$"""{ "batchIntervalMs": 200, "syncIntervalSeconds": 2, "backoffInitialMs": 100, "backoffMaxMs": 1000, "sensors": [{{names}}]{{(settings is null ? "" : ", " + settings)}} }""";
            var enroll = await agent.EnrollAsync(node.Url.ToString(), await AgentUplinkTests.TokenAsync(cli), node.Pin, json, cancellationToken);
            Assert.True(enroll.ExitCode == 0, enroll.ToString());
            agent.Start();
            await agent.WaitForStatusAsync(
                s => s.GetProperty("sensors").EnumerateArray().Count(x => x.GetProperty("state").GetString() == "Running") == sensors.Length,
                TimeSpan.FromSeconds(30),
                cancellationToken);
            return new AgentOnNode(node, cli, agent);
        }
        catch
        {
            await agent.DisposeAsync();
            await node.DisposeAsync();
            throw;
        }
    }

    /// <summary>Events matching <paramref name="query"/>, once at least <paramref name="atLeast"/> arrived (30 s).</summary>
    public Task<List<JsonElement>> WaitForEventsAsync(string query, int atLeast = 1) =>
        AgentUplinkTests.WaitForEventsAsync(Cli, query, atLeast);

    /// <summary>This test process's UniquePID as the agent computes it (agent ID, boot ID, PID, start ticks).</summary>
    public string OwnUniquePid()
    {
        var stat = File.ReadAllText("/proc/self/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        var startTicks = long.Parse(fields[19], CultureInfo.InvariantCulture);
        var bootId = File.ReadAllText("/proc/sys/kernel/random/boot_id").Trim();
        return UniquePid.Compute(Agent.AgentId!, bootId, Environment.ProcessId, startTicks);
    }

    /// <summary>The payload of a search result (proto field names).</summary>
    public static JsonElement Details(JsonElement e) => JsonDocument.Parse(e.GetProperty("details").GetString()!).RootElement.Clone();

    public async ValueTask DisposeAsync()
    {
        await Agent.DisposeAsync();
        await Node.DisposeAsync();
    }
}
