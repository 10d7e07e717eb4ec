using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Osprey.Contracts.V1;
using Osprey.Node.Tests.Support;
using Osprey.Testing.Simulator;

using static Osprey.Node.Tests.Detection.DetectionCalls;

namespace Osprey.Node.Tests.Detection;

/// <summary>Rules imported through the operator API, events sent as an agent sends them, alerts read back through the API.</summary>
public sealed class StreamingDetectionTests
{
    private const string PipeToShell = DetectionCalls.PipeToShellRule;

    private const string CronFile = """
        title: Cron File (test)
        id: 66666666-2222-3333-4444-555555555555
        level: low
        logsource:
            product: linux
            category: file_event
        detection:
            selection:
                TargetFilename|startswith: '/etc/cron.d/'
            condition: selection
        """;

    private const string Sshd = """
        title: Sshd Log Line (test)
        logsource:
            product: linux
            service: sshd
        detection:
            keywords:
                - 'error: buffer'
            condition: keywords
        """;

    private const string NoCondition = """
        title: Broken (test)
        logsource:
            product: linux
            category: process_creation
        detection:
            selection:
                Image: /bin/x
        """;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task<JsonElement> ImportAsync(HttpClient client, params (string Name, string Content)[] files)
    {
        using var response = await client.PostAsJsonAsync("/api/v1/rules/import", new { kind = "sigma", files = files.Select(f => new { name = f.Name, content = f.Content }) }, Ct);
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync(Ct));
        return await response.Content.ReadFromJsonAsync<JsonElement>(Ct);
    }

    [Fact]
    public async Task Import_ReportsEveryDocument_CompiledUnsupportedOrInvalidWithTheReason()
    {
        await using var node = await TestNode.StartAsync();
        using var client = node.Operator();

        var result = await ImportAsync(client, ("pipe.yml", PipeToShell), ("sshd.yml", Sshd), ("broken.yml", NoCondition));

        Assert.Equal(1, result.GetProperty("compiled").GetInt32());
        Assert.Equal(1, result.GetProperty("unsupported").GetInt32());
        Assert.Equal(1, result.GetProperty("invalid").GetInt32());
        var rules = result.GetProperty("rules").EnumerateArray().ToDictionary(r => r.GetProperty("source").GetString()!);
        Assert.Equal("11111111-2222-3333-4444-555555555555", rules["pipe.yml"].GetProperty("ruleId").GetString());
        Assert.Contains("sshd", rules["sshd.yml"].GetProperty("reason").GetString(), StringComparison.Ordinal);
        Assert.Contains("condition", rules["broken.yml"].GetProperty("reason").GetString(), StringComparison.OrdinalIgnoreCase);

        var listed = (await client.GetFromJsonAsync<JsonElement>("/api/v1/rules", Ct)).EnumerateArray().ToDictionary(r => r.GetProperty("source").GetString()!);
        Assert.Equal(3, listed.Count);
        Assert.True(listed["pipe.yml"].GetProperty("enabled").GetBoolean());
        Assert.Equal("high", listed["pipe.yml"].GetProperty("importance").GetString());
        Assert.Equal(["T1059.004"], listed["pipe.yml"].GetProperty("techniques").EnumerateArray().Select(t => t.GetString()));
        Assert.False(listed["sshd.yml"].GetProperty("enabled").GetBoolean());
        using var enable = await client.PostAsync($"/api/v1/rules/{listed["sshd.yml"].GetProperty("ruleId").GetString()}/enable", null, Ct);
        Assert.Equal(HttpStatusCode.Conflict, enable.StatusCode);
    }

    [Fact]
    public async Task MatchingEvent_RaisesAnAlert_SimilarOnesUpdateIt_RedeliveryDoesNot()
    {
        await using var node = await TestNode.StartAsync();
        using var client = node.Operator();
        using var agent = await node.EnrollAsync();
        await ImportAsync(client, ("pipe.yml", PipeToShell));
        var hit = Exec(agent, 1, "/bin/sh -c \"echo ZWNobyBoaQ== | base64 -d | sh\"");
        List<Event> batch = [hit, Exec(agent, 2, "/bin/ls -l")];

        await agent.SendAsync(batch, false, Ct);
        var alerts = await WaitForAlertsAsync(client, a => a.Count == 1);
        var alert = alerts[0];
        Assert.Equal("sigma", alert.GetProperty("technology").GetString());
        Assert.Equal("new", alert.GetProperty("status").GetString());
        Assert.Equal(agent.AgentId, alert.GetProperty("agentId").GetString());
        Assert.Equal("root", alert.GetProperty("userName").GetString());
        Assert.Equal(new string('b', 32), alert.GetProperty("uniquePid").GetString());

        // Redelivered: stored as duplicates, evaluated once.
        await agent.SendAsync(batch, true, Ct);
        await agent.SendAsync([Exec(agent, 3, "/bin/sh -c \"base64 -d x | sh\"")], false, Ct);
        alerts = await WaitForAlertsAsync(client, a => a.Count == 1 && a[0].GetProperty("count").GetInt64() == 2);
        await Task.Delay(300, Ct);
        Assert.Equal(2, Assert.Single(await AlertsAsync(client)).GetProperty("count").GetInt64());

        var id = alert.GetProperty("alertId").GetString()!;
        using (var comment = await client.PostAsJsonAsync($"/api/v1/alerts/{id}/comment", new { text = "looking into it" }, Ct))
        {
            Assert.Equal(HttpStatusCode.OK, comment.StatusCode);
        }
        var detail = await client.GetFromJsonAsync<JsonElement>($"/api/v1/alerts/{id}", Ct);
        Assert.Equal(2, detail.GetProperty("eventIds").GetArrayLength());
        Assert.Equal(hit.EventId, detail.GetProperty("events")[0].GetProperty("eventId").GetString());
        Assert.Equal("looking into it", detail.GetProperty("comments")[0].GetProperty("text").GetString());
    }

    [Fact]
    public async Task DisabledRule_RaisesNothing_ClosedAlert_IsNotUpdated()
    {
        await using var node = await TestNode.StartAsync();
        using var client = node.Operator();
        using var agent = await node.EnrollAsync();
        await ImportAsync(client, ("pipe.yml", PipeToShell), ("cron.yml", CronFile));
        using (var disable = await client.PostAsync("/api/v1/rules/11111111-2222-3333-4444-555555555555/disable", null, Ct))
        {
            Assert.Equal(HttpStatusCode.OK, disable.StatusCode);
        }

        // One agent's events are evaluated in order: once the cron alert is there, the exec before it was evaluated.
        await agent.SendAsync([Exec(agent, 1, "/bin/sh -c \"base64 -d x | sh\""), CronCreate(agent, 2, "/etc/cron.d/job")], false, Ct);
        var alerts = await WaitForAlertsAsync(client, a => a.Count == 1);
        Assert.Equal("Cron File (test)", alerts[0].GetProperty("ruleTitle").GetString());
        Assert.Equal("low", alerts[0].GetProperty("importance").GetString());

        var id = alerts[0].GetProperty("alertId").GetString();
        using (var close = await client.PostAsJsonAsync($"/api/v1/alerts/{id}/status", new { status = "closed" }, Ct))
        {
            Assert.Equal(HttpStatusCode.OK, close.StatusCode);
        }
        await agent.SendAsync([CronCreate(agent, 3, "/etc/cron.d/other")], false, Ct);
        alerts = await WaitForAlertsAsync(client, a => a.Count == 2);
        Assert.Equal(["closed", "new"], alerts.Select(a => a.GetProperty("status").GetString()).Order(StringComparer.Ordinal));
        Assert.All(alerts, a => Assert.Equal(1, a.GetProperty("count").GetInt64()));
    }

    [Fact]
    public async Task Roles_AuditorReads_OfficerWorksAlerts_OnlySeniorOrAdminChangeRules_AllAudited()
    {
        await using var node = await TestNode.StartAsync();
        using var admin = node.Operator();
        using var agent = await node.EnrollAsync();
        await ImportAsync(admin, ("cron.yml", CronFile));
        await agent.SendAsync([CronCreate(agent, 1, "/etc/cron.d/job")], false, Ct);
        var id = (await WaitForAlertsAsync(admin, a => a.Count == 1))[0].GetProperty("alertId").GetString();
        using var auditor = node.Operator(await CreateUserAsync(admin, "audrey", "security-auditor"));
        using var officer = node.Operator(await CreateUserAsync(admin, "oscar", "security-officer"));

        Assert.Equal(HttpStatusCode.OK, (await auditor.GetAsync("/api/v1/alerts", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await auditor.GetAsync("/api/v1/rules", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await auditor.PostAsJsonAsync($"/api/v1/alerts/{id}/comment", new { text = "x" }, Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await officer.PostAsJsonAsync("/api/v1/rules/import", new { kind = "sigma", files = new[] { new { name = "a.yml", content = CronFile } } }, Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await officer.PostAsJsonAsync($"/api/v1/alerts/{id}/assign", new { assignee = "oscar" }, Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await officer.PostAsJsonAsync($"/api/v1/alerts/{id}/status", new { status = "in-progress" }, Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await officer.PostAsJsonAsync($"/api/v1/alerts/{id}/status", new { status = "new" }, Ct)).StatusCode);

        var alert = (await admin.GetFromJsonAsync<JsonElement>($"/api/v1/alerts/{id}", Ct)).GetProperty("alert");
        Assert.Equal("oscar", alert.GetProperty("assignee").GetString());
        Assert.Equal("in-progress", alert.GetProperty("status").GetString());
        var audit = (await admin.GetFromJsonAsync<JsonElement>("/api/v1/audit?limit=1000", Ct)).EnumerateArray()
            .Select(a => (a.GetProperty("user").GetString(), a.GetProperty("action").GetString(), a.GetProperty("status").GetInt32())).ToList();
        Assert.Contains(("oscar", "POST /api/v1/alerts/{id}/assign", 200), audit);
        Assert.Contains(("oscar", "POST /api/v1/rules/import", 403), audit);
        Assert.Contains(("audrey", "POST /api/v1/alerts/{id}/comment", 403), audit);
        Assert.Contains(("admin", "POST /api/v1/rules/import", 200), audit);
    }
}
