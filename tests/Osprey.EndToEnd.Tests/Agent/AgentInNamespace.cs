using System.Text.Json;
using Osprey.Testing.Network;
using Osprey.Testing.Processes;

namespace Osprey.EndToEnd.Tests.Agent;

/// <summary>
/// A real agent running inside a network namespace of the test's own, enrolled to a real node that listens on the
/// machine side of the namespace's veth pair; two peer addresses on that side for the test's own listeners. The agent may
/// change the firewall of that namespace only (its isolation guard), so no test can isolate the machine.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class AgentInNamespace : IAsyncDisposable
{
    private AgentInNamespace(TestNetwork network, NodeProcess node, OspreyCli cli, AgentProcess agent)
    {
        Network = network;
        Node = node;
        Cli = cli;
        Agent = agent;
    }

    public TestNetwork Network { get; }

    public NodeProcess Node { get; }

    public OspreyCli Cli { get; }

    public AgentProcess Agent { get; }

    public string AgentId => Agent.AgentId!;

    /// <summary>
    /// Starts all three; <paramref name="settings"/> gives further agent.json members (a JSON object's body, without
    /// braces) for the network built.
    /// </summary>
    public static async Task<AgentInNamespace> StartAsync(Func<TestNetwork, string>? settings, CancellationToken cancellationToken)
    {
        RootCheck.Require();
        var network = await TestNetwork.CreateAsync(2, cancellationToken);
        NodeProcess? node = null;
        var agent = new AgentProcess(network.Namespace);
        try
        {
            node = await NodeProcess.InitAsync(network.HostAddress.ToString(), cancellationToken);
            await node.StartAsync(cancellationToken);
            var cli = new OspreyCli(node.Url, node.AdminToken, node.Pin);
            var json = $$"""{ "batchIntervalMs": 200, "syncIntervalSeconds": 2, "backoffInitialMs": 100, "backoffMaxMs": 1000, "sensors": ["mount"]{{(settings is null ? "" : ", " + settings(network))}} }""";
            var enroll = await agent.EnrollAsync(node.Url.ToString(), await AgentUplinkTests.TokenAsync(cli), node.Pin, json, cancellationToken);
            Assert.True(enroll.ExitCode == 0, enroll.ToString());
            agent.Start();
            var started = new AgentInNamespace(network, node, cli, agent);
            await started.WaitForIsolationAsync("Off", cancellationToken);
            return started;
        }
        catch
        {
            await agent.DisposeAsync();
            if (node is not null)
            {
                await node.DisposeAsync();
            }
            await network.DisposeAsync();
            throw;
        }
    }

    /// <summary>The agent as the node shows it (<c>osprey agents show --json</c>).</summary>
    public async Task<JsonElement> ShowAsync()
    {
        var show = await Cli.RunAsync("agents", "show", AgentId, "--json");
        Assert.True(show.ExitCode == 0, show.ToString());
        return JsonDocument.Parse(show.Stdout).RootElement.Clone();
    }

    /// <summary>Waits (30 s) until a sync reports <paramref name="state"/> ("On", "Off") and returns the agent as shown then.</summary>
    public async Task<JsonElement> WaitForIsolationAsync(string state, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        JsonElement shown = default;
        while (DateTime.UtcNow < deadline)
        {
            var show = await Cli.RunAsync("agents", "show", AgentId, "--json");
            if (show.ExitCode == 0)
            {
                shown = JsonDocument.Parse(show.Stdout).RootElement.Clone();
                if (shown.GetProperty("isolation").GetString() == state)
                {
                    return shown;
                }
            }
            await Task.Delay(250, cancellationToken);
        }
        throw new TimeoutException($"the node never showed isolation {state}; last: {shown}\nagent log:\n{Agent.Log}");
    }

    /// <summary>The isolation table inside the namespace, or null.</summary>
    public Task<string?> TableAsync(CancellationToken cancellationToken) => Network.ListTableAsync("inet", "osprey_isolation", cancellationToken);

    public async ValueTask DisposeAsync()
    {
        await Agent.DisposeAsync();
        await Node.DisposeAsync();
        await Network.DisposeAsync();
    }
}
