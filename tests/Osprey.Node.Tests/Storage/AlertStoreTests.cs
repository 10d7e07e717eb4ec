using Osprey.Node.Alerts;
using Osprey.Node.Storage;
using Osprey.Testing.Paths;

namespace Osprey.Node.Tests.Storage;

/// <summary>Rules and alerts in the node's SQLite store: grouping of similar alerts, duplicate events, state changes.</summary>
public sealed class AlertStoreTests : IDisposable
{
    private const long Day1 = 1_767_225_600_000_000L; // 2026-01-01T00:00:00Z
    private readonly TempDirectory _dir = new("osprey-alerts");
    private readonly SqliteNodeStore _store;

    public AlertStoreTests()
    {
        _store = new SqliteNodeStore(Path.Combine(_dir.Path, "node.db"));
        _store.Initialize();
    }

    public void Dispose() => _dir.Dispose();

    private static DetectionHit Hit(string eventId, long timeUs, string rule = "rule-1", string agent = "agent-1") => new()
    {
        RuleId = rule,
        RuleTitle = "Title of " + rule,
        Technology = "sigma",
        Importance = "medium",
        Confidence = "medium",
        Techniques = "T1059.004",
        AgentId = agent,
        HostName = "web-01",
        UserName = "root",
        UniquePid = new string('a', 32),
        EventId = eventId,
        TimeUs = timeUs,
        Day = AlertHits.Day(timeUs),
        Summary = "ProcessStart: sh -c x",
    };

    [Fact]
    public void SimilarHit_SameRuleAgentAndDay_UpdatesTheOpenAlert()
    {
        var first = _store.RecordDetections([Hit("e1", Day1 + 1_000_000)], Day1);
        var second = _store.RecordDetections([Hit("e2", Day1 + 5_000_000)], Day1 + 5_000_000);

        Assert.Equal(AlertChange.Created, first[0].Change);
        Assert.Equal(AlertChange.Updated, second[0].Change);
        Assert.Equal(first[0].AlertId, second[0].AlertId);
        var alert = Assert.Single(_store.ListAlerts(new AlertFilter()));
        Assert.Equal(2, alert.Count);
        Assert.Equal(Day1 + 1_000_000, alert.FirstUs);
        Assert.Equal(Day1 + 5_000_000, alert.LastUs);
        Assert.Equal(AlertStatuses.New, alert.Status);
        Assert.Equal(["e1", "e2"], _store.AlertEventIds(alert.AlertId, 100));
    }

    [Fact]
    public void RedeliveredEvent_IsADuplicate_AndCountsOnce()
    {
        _store.RecordDetections([Hit("e1", Day1)], Day1);
        var again = _store.RecordDetections([Hit("e1", Day1), Hit("e1", Day1)], Day1);

        Assert.All(again, o => Assert.Equal(AlertChange.Duplicate, o.Change));
        var alert = Assert.Single(_store.ListAlerts(new AlertFilter()));
        Assert.Equal(1, alert.Count);
        Assert.Equal(["e1"], _store.AlertEventIds(alert.AlertId, 100));
    }

    [Fact]
    public void SameEvent_TwoRules_GivesTwoAlerts()
    {
        _store.RecordDetections([Hit("e1", Day1, rule: "rule-1"), Hit("e1", Day1, rule: "rule-2")], Day1);

        Assert.Equal(2, _store.ListAlerts(new AlertFilter()).Count);
    }

    [Fact]
    public void OtherDay_OtherAgent_OrClosedAlert_GiveNewAlerts()
    {
        var first = _store.RecordDetections([Hit("e1", Day1)], Day1)[0].AlertId!;
        _store.RecordDetections([Hit("e2", Day1 + 86_400_000_000L)], Day1);
        _store.RecordDetections([Hit("e3", Day1, agent: "agent-2")], Day1);
        Assert.Equal(3, _store.ListAlerts(new AlertFilter()).Count);

        Assert.True(_store.SetAlertStatus(first, AlertStatuses.Closed, Day1 + 1));
        var after = _store.RecordDetections([Hit("e4", Day1 + 10)], Day1 + 10);

        Assert.Equal(AlertChange.Created, after[0].Change);
        Assert.NotEqual(first, after[0].AlertId);
        Assert.Equal(1, _store.GetAlert(first)!.Count);
        Assert.Equal(4, _store.ListAlerts(new AlertFilter()).Count);
    }

    [Fact]
    public void InProgressAlert_StillGroupsSimilarHits()
    {
        var id = _store.RecordDetections([Hit("e1", Day1)], Day1)[0].AlertId!;
        _store.SetAlertStatus(id, AlertStatuses.InProgress, Day1);

        Assert.Equal(AlertChange.Updated, _store.RecordDetections([Hit("e2", Day1 + 1)], Day1)[0].Change);
        Assert.Equal(2, _store.GetAlert(id)!.Count);
    }

    [Fact]
    public void Filters_SelectByStatusAgentRuleAndTime()
    {
        var a = _store.RecordDetections([Hit("e1", Day1, rule: "r-a", agent: "ag-1")], Day1)[0].AlertId!;
        _store.RecordDetections([Hit("e2", Day1 + 3_600_000_000L, rule: "r-b", agent: "ag-2")], Day1);
        _store.SetAlertStatus(a, AlertStatuses.InProgress, Day1);

        Assert.Equal(a, Assert.Single(_store.ListAlerts(new AlertFilter { Status = AlertStatuses.InProgress })).AlertId);
        Assert.Equal("r-b", Assert.Single(_store.ListAlerts(new AlertFilter { AgentId = "ag-2" })).RuleId);
        Assert.Equal("ag-1", Assert.Single(_store.ListAlerts(new AlertFilter { RuleId = "r-a" })).AgentId);
        Assert.Equal("r-b", Assert.Single(_store.ListAlerts(new AlertFilter { SinceUs = Day1 + 1 })).RuleId);
        Assert.Single(_store.ListAlerts(new AlertFilter { Limit = 1 }));
    }

    [Fact]
    public void AssigneeComments_AndVipHost_AreKept()
    {
        _store.SetHostVip("agent-1", true, "admin", Day1);
        var id = _store.RecordDetections([Hit("e1", Day1)], Day1)[0].AlertId!;
        var other = _store.RecordDetections([Hit("e2", Day1, agent: "agent-2")], Day1)[0].AlertId!;

        Assert.True(_store.AssignAlert(id, "alice", Day1 + 1));
        Assert.True(_store.AddAlertComment(id, "alice", "looking", Day1 + 2));
        Assert.True(_store.AddAlertComment(id, "bob", "benign", Day1 + 3));
        Assert.False(_store.AddAlertComment("no-such-alert", "bob", "x", Day1));

        var alert = _store.GetAlert(id)!;
        Assert.Equal("alice", alert.Assignee);
        Assert.True(alert.Vip);
        Assert.False(_store.GetAlert(other)!.Vip);
        Assert.Equal([("alice", "looking"), ("bob", "benign")], _store.AlertComments(id).Select(c => (c.Author, c.Text)));

        _store.SetHostVip("agent-1", false, "admin", Day1 + 4);
        Assert.False(_store.GetAlert(id)!.Vip);
    }

    [Fact]
    public void ReimportedRule_KeepsTheOperatorsEnabledChoice_AndCountsVersions()
    {
        var rule = new StoredRule
        {
            RuleId = "r1", Kind = "sigma", Title = "T", SourceName = "a.yml", Content = "x", Status = "compiled",
            Importance = "low", Confidence = "medium", Techniques = "T1027", Enabled = true, CreatedBy = "admin", UpdatedBy = "admin",
        };
        _store.UpsertRules([rule]);
        Assert.True(_store.SetRuleEnabled("r1", false, "senior", 5));
        _store.UpsertRules([rule with { Title = "T2", Content = "y", UpdatedBy = "other" }]);

        var stored = _store.GetRule("r1")!;
        Assert.False(stored.Enabled);
        Assert.Equal("T2", stored.Title);
        Assert.Equal("y", stored.Content);
        Assert.Equal(3, stored.Version);
        Assert.Equal("admin", stored.CreatedBy);
        Assert.Equal("other", stored.UpdatedBy);
        Assert.Empty(_store.ListRules(new RuleFilter { Enabled = true }));
        Assert.Single(_store.ListRules(new RuleFilter { Kind = "sigma", Status = "compiled" }));
    }
}
