using System.Text.Json;
using Osprey.Contracts.V1;
using Osprey.Testing.Processes;
using Osprey.Testing.Simulator;

namespace Osprey.EndToEnd.Tests;

/// <summary>A real node process, the real CLI and a simulated agent over real mTLS on loopback.</summary>
public sealed class FoundationTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task HundredThousandEvents_WithRedelivery_AreFoundExactlyOnce()
    {
        await using var node = await NodeProcess.InitAsync(Ct);
        await node.StartAsync(Ct);
        var cli = new OspreyCli(node.Url, node.AdminToken, node.Pin);

        var token = await cli.RunAsync("tokens", "create", "--ttl", "1h", "--uses", "1");
        Assert.True(token.ExitCode == 0, token.ToString());
        using var agent = await SimulatedAgent.EnrollAsync(node.Url, token.Stdout.Trim(), node.Pin, "e2e-host", Ct);

        var generator = new SyntheticEvents(agent.AgentId, "e2e-host", 42);
        var start = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() * 1000 - 100_000_000;
        const int Total = 100_000, BatchSize = 1_000;
        List<Event>? redelivered = null;
        TelemetryAck? ack = null;
        for (var first = 1; first <= Total; first += BatchSize)
        {
            var batch = Enumerable.Range(first, BatchSize).Select(s => generator.Next((ulong)s, start + s * 1000L)).ToList();
            ack = await agent.SendAsync(batch, gzip: first % 2 == 1, Ct);
            if (first == 50_001)
            {
                redelivered = batch;
            }
        }
        var again = await agent.SendAsync(redelivered!, gzip: false, Ct);

        Assert.Equal((ulong)Total, ack!.AckedSequence);
        Assert.Equal((uint)BatchSize, again.Duplicates);
        var count = await cli.RunAsync("events", "search", $"AgentId = \"{agent.AgentId}\"", "--count");
        Assert.True(count.ExitCode == 0, count.ToString());
        Assert.Equal("100000", count.Stdout.Trim());

        var search = await cli.RunAsync("events", "search", "EventType = \"ProcessStart\" AND CommandLine CONTAINS \"curl\"", "--limit", "5", "--json");
        Assert.True(search.ExitCode == 0, search.ToString());
        var events = JsonDocument.Parse(search.Stdout).RootElement;
        Assert.Equal(5, events.GetArrayLength());
        Assert.All(events.EnumerateArray(), e => Assert.Contains("curl", e.GetProperty("commandLine").GetString(), StringComparison.Ordinal));

        var uniquePid = events[0].GetProperty("uniquePid").GetString()!;
        var tree = await cli.RunAsync("events", "tree", uniquePid, "--json");
        Assert.True(tree.ExitCode == 0, tree.ToString());
        var process = JsonDocument.Parse(tree.Stdout).RootElement.GetProperty("process");
        Assert.Equal(uniquePid, process.GetProperty("uniquePid").GetString());
        Assert.Equal(events[0].GetProperty("parentUniquePid").GetString(), process.GetProperty("parentUniquePid").GetString());

        var table = await cli.RunAsync("events", "search", "EventType = \"DnsQuery\"", "--limit", "3");
        Assert.True(table.ExitCode == 0, table.ToString());
        Assert.Contains("DnsQuery", table.Stdout, StringComparison.Ordinal);

        var agents = await cli.RunAsync("agents", "list", "--json");
        Assert.Contains(agent.AgentId, agents.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SecurityAuditor_CannotCreateTokens_AndEveryActionIsAudited()
    {
        await using var node = await NodeProcess.InitAsync(Ct);
        await node.StartAsync(Ct);
        var admin = new OspreyCli(node.Url, node.AdminToken, node.Pin);

        var added = await admin.RunAsync("users", "add", "audrey", "--role", "security-auditor");
        Assert.True(added.ExitCode == 0, added.ToString());
        var auditor = admin.WithToken(added.Stdout.Trim());
        var refused = await auditor.RunAsync("tokens", "create");
        var listed = await auditor.RunAsync("users", "list", "--json");
        var audit = await admin.RunAsync("audit", "list", "--json");

        Assert.Equal(1, refused.ExitCode);
        Assert.Contains("security-auditor", refused.Stderr, StringComparison.Ordinal);
        Assert.Contains("may not", refused.Stderr, StringComparison.Ordinal);
        Assert.Equal(0, listed.ExitCode);
        var entries = JsonDocument.Parse(audit.Stdout).RootElement.EnumerateArray().ToList();
        Assert.Contains(entries, e => e.GetProperty("user").GetString() == "audrey" && e.GetProperty("action").GetString() == "POST /api/v1/tokens" && e.GetProperty("status").GetInt32() == 403);
        Assert.Contains(entries, e => e.GetProperty("user").GetString() == "admin" && e.GetProperty("action").GetString() == "POST /api/v1/users" && e.GetProperty("target").GetString() == "audrey");
    }

    [Fact]
    public async Task Cli_WithWrongPin_RefusesTheNode()
    {
        await using var node = await NodeProcess.InitAsync(Ct);
        await node.StartAsync(Ct);
        var cli = new OspreyCli(node.Url, node.AdminToken, new string('a', 64));

        var result = await cli.RunAsync("agents", "list");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("does not match the pinned CA key", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Cli_WithHostileQuery_GetsAParseErrorNotSql()
    {
        await using var node = await NodeProcess.InitAsync(Ct);
        await node.StartAsync(Ct);
        var cli = new OspreyCli(node.Url, node.AdminToken, node.Pin);

        var result = await cli.RunAsync("events", "search", "CommandLine = x\"; DROP TABLE agents; --");
        var after = await cli.RunAsync("agents", "list", "--json");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("the query is not valid", result.Stderr, StringComparison.Ordinal);
        Assert.Equal(0, after.ExitCode);
    }
}
