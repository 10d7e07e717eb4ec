using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Osprey.Node.Hosting;
using Osprey.Node.Storage;
using Osprey.Node.Tests.Support;
using static Osprey.Node.Tests.Detection.DetectionCalls;

namespace Osprey.Node.Tests.Detection;

/// <summary>Incidents through the operator API: alerts grouped (at most 200), changed as a whole or not at all, closed together.</summary>
public sealed class IncidentTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>Raises <paramref name="count"/> distinct alerts (one rule each) the way the detection service records them.</summary>
    private static List<string> RaiseAlerts(TestNode node, int count, string importance = "medium", string prefix = "rule")
    {
        var store = node.Services.GetRequiredService<INodeStore>();
        var now = NodeClock.ToUs(DateTimeOffset.UtcNow);
        var hits = Enumerable.Range(0, count).Select(i => new DetectionHit
        {
            RuleId = $"{prefix}-{i.ToString(CultureInfo.InvariantCulture)}",
            RuleTitle = $"Rule {i.ToString(CultureInfo.InvariantCulture)}",
            Technology = "sigma",
            Importance = i == 0 ? importance : "low",
            Confidence = "medium",
            AgentId = "agent-1",
            EventId = Guid.NewGuid().ToString("D"),
            TimeUs = now,
            Day = "2026-11-22",
        }).ToList();
        return [.. store.RecordDetections(hits, now).Select(o => o.AlertId!)];
    }

    private static async Task<(HttpStatusCode Status, JsonElement Body)> PostAsync(HttpClient client, string path, object body)
    {
        using var response = await client.PostAsJsonAsync(path, body, Ct);
        return (response.StatusCode, await response.Content.ReadFromJsonAsync<JsonElement>(Ct));
    }

    [Fact]
    public async Task AnIncident_GroupsAlerts_TakesTheirHighestImportance_AndShowsThem()
    {
        await using var node = await TestNode.StartAsync();
        using var client = node.Operator();
        var alerts = RaiseAlerts(node, 3, importance: "high");

        var (status, incident) = await PostAsync(client, "/api/v1/incidents", new { title = "Lateral movement on sim-host", alertIds = alerts });
        Assert.Equal(HttpStatusCode.OK, status);
        var id = incident.GetProperty("incidentId").GetString()!;
        Assert.Equal("new", incident.GetProperty("status").GetString());
        Assert.Equal("high", incident.GetProperty("importance").GetString());
        Assert.Equal(3, incident.GetProperty("alertCount").GetInt64());

        var detail = await client.GetFromJsonAsync<JsonElement>($"/api/v1/incidents/{id}", Ct);
        Assert.Equal(alerts.Order(StringComparer.Ordinal), detail.GetProperty("alerts").EnumerateArray().Select(a => a.GetProperty("alertId").GetString()).Order(StringComparer.Ordinal));
        var alert = await client.GetFromJsonAsync<JsonElement>($"/api/v1/alerts/{alerts[1]}", Ct);
        Assert.Equal(id, alert.GetProperty("alert").GetProperty("incidentId").GetString());

        // Removing the high alert lowers the incident's importance.
        var (changed, after) = await PostAsync(client, $"/api/v1/incidents/{id}/alerts", new { remove = new[] { alerts[0] } });
        Assert.Equal(HttpStatusCode.OK, changed);
        Assert.Equal("low", after.GetProperty("importance").GetString());
        Assert.Equal(2, after.GetProperty("alertCount").GetInt64());
        var listed = await client.GetFromJsonAsync<JsonElement>("/api/v1/incidents?status=new", Ct);
        Assert.Equal(id, Assert.Single(listed.EnumerateArray()).GetProperty("incidentId").GetString());
    }

    [Fact]
    public async Task AtMost200Alerts_AndNoAlertInTwoIncidents_NothingHalfApplied()
    {
        await using var node = await TestNode.StartAsync();
        using var client = node.Operator();
        var alerts = RaiseAlerts(node, 202);

        var (tooMany, problem) = await PostAsync(client, "/api/v1/incidents", new { title = "too big", alertIds = alerts.Take(201) });
        Assert.Equal(HttpStatusCode.BadRequest, tooMany);
        Assert.Contains("1 to 200 alerts; 201 given", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);

        var (created, full) = await PostAsync(client, "/api/v1/incidents", new { title = "full", alertIds = alerts.Take(200) });
        Assert.Equal(HttpStatusCode.OK, created);
        var id = full.GetProperty("incidentId").GetString()!;
        var (over, overProblem) = await PostAsync(client, $"/api/v1/incidents/{id}/alerts", new { add = new[] { alerts[200] } });
        Assert.Equal(HttpStatusCode.Conflict, over);
        Assert.Contains("at most 200 alerts; this change would give it 201", overProblem.GetProperty("detail").GetString(), StringComparison.Ordinal);

        // Swapping one out and one in in the same change stays within the bound.
        var (swapped, swap) = await PostAsync(client, $"/api/v1/incidents/{id}/alerts", new { add = new[] { alerts[200] }, remove = new[] { alerts[0] } });
        Assert.Equal(HttpStatusCode.OK, swapped);
        Assert.Equal(200, swap.GetProperty("alertCount").GetInt64());

        // One alert already grouped elsewhere refuses the whole new incident: the free alert is not grouped either.
        var (taken, takenProblem) = await PostAsync(client, "/api/v1/incidents", new { title = "second", alertIds = new[] { alerts[201], alerts[5] } });
        Assert.Equal(HttpStatusCode.Conflict, taken);
        Assert.Contains(alerts[5], takenProblem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        var (unknown, _) = await PostAsync(client, "/api/v1/incidents", new { title = "ghost", alertIds = new[] { alerts[201], "no-such-alert" } });
        Assert.Equal(HttpStatusCode.BadRequest, unknown);
        Assert.Single((await client.GetFromJsonAsync<JsonElement>("/api/v1/incidents", Ct)).EnumerateArray());
        var free = await client.GetFromJsonAsync<JsonElement>($"/api/v1/alerts/{alerts[201]}", Ct);
        Assert.Equal(JsonValueKind.Null, free.GetProperty("alert").GetProperty("incidentId").ValueKind);
    }

    [Fact]
    public async Task ClosingAnIncident_ClosesItsAlerts_AssigneeAndComments_RolesAndAudit()
    {
        await using var node = await TestNode.StartAsync();
        using var admin = node.Operator();
        var alerts = RaiseAlerts(node, 2);
        var other = RaiseAlerts(node, 1, prefix: "unrelated")[0];
        var (_, incident) = await PostAsync(admin, "/api/v1/incidents", new { title = "Ransomware precursor", alertIds = alerts });
        var id = incident.GetProperty("incidentId").GetString()!;
        using var officer = node.Operator(await CreateUserAsync(admin, "oscar", "security-officer"));
        using var auditor = node.Operator(await CreateUserAsync(admin, "audrey", "security-auditor"));

        Assert.Equal(HttpStatusCode.OK, (await PostAsync(officer, $"/api/v1/incidents/{id}/assign", new { assignee = "oscar" })).Status);
        Assert.Equal(HttpStatusCode.OK, (await PostAsync(officer, $"/api/v1/incidents/{id}/comment", new { text = "hosts isolated" })).Status);
        Assert.Equal(HttpStatusCode.BadRequest, (await PostAsync(officer, $"/api/v1/incidents/{id}/status", new { status = "new" })).Status);
        Assert.Equal(HttpStatusCode.Forbidden, (await PostAsync(auditor, $"/api/v1/incidents/{id}/status", new { status = "closed" })).Status);
        Assert.Equal(HttpStatusCode.Forbidden, (await PostAsync(auditor, "/api/v1/incidents", new { title = "x", alertIds = new[] { other } })).Status);
        var (closed, body) = await PostAsync(officer, $"/api/v1/incidents/{id}/status", new { status = "closed" });

        Assert.Equal(HttpStatusCode.OK, closed);
        Assert.Equal("closed", body.GetProperty("status").GetString());
        Assert.Equal("oscar", body.GetProperty("assignee").GetString());
        var detail = await auditor.GetFromJsonAsync<JsonElement>($"/api/v1/incidents/{id}", Ct);
        Assert.All(detail.GetProperty("alerts").EnumerateArray(), a => Assert.Equal("closed", a.GetProperty("status").GetString()));
        Assert.Equal("hosts isolated", Assert.Single(detail.GetProperty("comments").EnumerateArray()).GetProperty("text").GetString());
        Assert.Equal("new", (await admin.GetFromJsonAsync<JsonElement>($"/api/v1/alerts/{other}", Ct)).GetProperty("alert").GetProperty("status").GetString());
        var audit = (await admin.GetFromJsonAsync<JsonElement>("/api/v1/audit?limit=1000", Ct)).EnumerateArray()
            .Select(a => (a.GetProperty("user").GetString(), a.GetProperty("action").GetString(), a.GetProperty("status").GetInt32())).ToList();
        Assert.Contains(("oscar", "POST /api/v1/incidents/{id}/status", 200), audit);
        Assert.Contains(("audrey", "POST /api/v1/incidents", 403), audit);
        Assert.Contains(("admin", "POST /api/v1/incidents", 200), audit);
    }
}
