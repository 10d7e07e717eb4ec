using Dapper;
using Osprey.Node.Alerts;

namespace Osprey.Node.Storage;

// Alerts, the events linked to them, their comments, and VIP hosts.
public sealed partial class SqliteNodeStore
{
    private const string AlertsSchema = """
        CREATE TABLE IF NOT EXISTS alerts (
            alert_id TEXT PRIMARY KEY, rule_id TEXT NOT NULL, rule_title TEXT NOT NULL, technology TEXT NOT NULL, importance TEXT NOT NULL,
            confidence TEXT NOT NULL, techniques TEXT NOT NULL, agent_id TEXT NOT NULL, host_name TEXT NOT NULL, user_name TEXT NOT NULL,
            unique_pid TEXT NOT NULL, summary TEXT NOT NULL, day TEXT NOT NULL, first_us INTEGER NOT NULL, last_us INTEGER NOT NULL,
            count INTEGER NOT NULL, status TEXT NOT NULL, assignee TEXT, vip INTEGER NOT NULL DEFAULT 0,
            created_us INTEGER NOT NULL, updated_us INTEGER NOT NULL);
        CREATE INDEX IF NOT EXISTS alerts_similar ON alerts(rule_id, agent_id, day, status);
        CREATE INDEX IF NOT EXISTS alerts_created ON alerts(created_us);
        CREATE TABLE IF NOT EXISTS alert_events (
            rule_id TEXT NOT NULL, event_id TEXT NOT NULL, alert_id TEXT NOT NULL, time_us INTEGER NOT NULL,
            PRIMARY KEY (rule_id, event_id)) WITHOUT ROWID;
        CREATE INDEX IF NOT EXISTS alert_events_alert ON alert_events(alert_id, time_us);
        CREATE TABLE IF NOT EXISTS alert_comments (
            id INTEGER PRIMARY KEY, alert_id TEXT NOT NULL, author TEXT NOT NULL, time_us INTEGER NOT NULL, text TEXT NOT NULL);
        CREATE INDEX IF NOT EXISTS alert_comments_alert ON alert_comments(alert_id, id);
        CREATE TABLE IF NOT EXISTS vip_hosts (agent_id TEXT PRIMARY KEY, set_by TEXT NOT NULL, set_us INTEGER NOT NULL);
        """;

    private const string AlertColumns =
        "alert_id AS AlertId, rule_id AS RuleId, rule_title AS RuleTitle, technology AS Technology, importance AS Importance, confidence AS Confidence, " +
        "techniques AS Techniques, agent_id AS AgentId, host_name AS HostName, user_name AS UserName, unique_pid AS UniquePid, summary AS Summary, " +
        "day AS Day, first_us AS FirstUs, last_us AS LastUs, count AS Count, status AS Status, assignee AS Assignee, vip AS Vip, " +
        "created_us AS CreatedUs, updated_us AS UpdatedUs, (SELECT incident_id FROM incident_alerts x WHERE x.alert_id = alerts.alert_id) AS IncidentId";

    public IReadOnlyList<(AlertChange Change, string? AlertId)> RecordDetections(IReadOnlyList<DetectionHit> hits, long nowUs)
    {
        var outcomes = new List<(AlertChange, string?)>(hits.Count);
        if (hits.Count == 0)
        {
            return outcomes;
        }
        using var db = Open();
        using var transaction = db.BeginTransaction(deferred: false);
        foreach (var hit in hits)
        {
            // A redelivered event was linked the first time: the same (rule, event) never counts twice.
            if (db.ExecuteScalar<long>("SELECT count(*) FROM alert_events WHERE rule_id = @RuleId AND event_id = @EventId", hit, transaction) != 0)
            {
                outcomes.Add((AlertChange.Duplicate, null));
                continue;
            }
            var open = db.QueryFirstOrDefault<string>(
                "SELECT alert_id FROM alerts WHERE rule_id = @RuleId AND agent_id = @AgentId AND day = @Day AND status <> @closed ORDER BY created_us DESC LIMIT 1",
                new { hit.RuleId, hit.AgentId, hit.Day, closed = AlertStatuses.Closed }, transaction);
            AlertChange change;
            if (open is null)
            {
                open = Guid.NewGuid().ToString("D");
                var vip = db.ExecuteScalar<long>("SELECT count(*) FROM vip_hosts WHERE agent_id = @AgentId", hit, transaction) != 0;
                db.Execute(
                    """
                    INSERT INTO alerts(alert_id, rule_id, rule_title, technology, importance, confidence, techniques, agent_id, host_name, user_name,
                                       unique_pid, summary, day, first_us, last_us, count, status, vip, created_us, updated_us)
                    VALUES (@open, @RuleId, @RuleTitle, @Technology, @Importance, @Confidence, @Techniques, @AgentId, @HostName, @UserName,
                            @UniquePid, @Summary, @Day, @TimeUs, @TimeUs, 1, @status, @vip, @nowUs, @nowUs)
                    """,
                    new
                    {
                        open, hit.RuleId, hit.RuleTitle, hit.Technology, hit.Importance, hit.Confidence, hit.Techniques, hit.AgentId, hit.HostName,
                        hit.UserName, hit.UniquePid, hit.Summary, hit.Day, hit.TimeUs, status = AlertStatuses.New, vip, nowUs,
                    },
                    transaction);
                change = AlertChange.Created;
            }
            else
            {
                db.Execute(
                    "UPDATE alerts SET count = count + 1, first_us = min(first_us, @TimeUs), last_us = max(last_us, @TimeUs), updated_us = @nowUs WHERE alert_id = @open",
                    new { hit.TimeUs, nowUs, open }, transaction);
                change = AlertChange.Updated;
            }
            db.Execute(
                "INSERT INTO alert_events(rule_id, event_id, alert_id, time_us) VALUES (@RuleId, @EventId, @open, @TimeUs)",
                new { hit.RuleId, hit.EventId, open, hit.TimeUs }, transaction);
            outcomes.Add((change, open));
        }
        transaction.Commit();
        return outcomes;
    }

    public IReadOnlyList<AlertRecord> ListAlerts(AlertFilter filter)
    {
        using var db = Open();
        return db.Query<AlertRecord>(
            $"SELECT {AlertColumns} FROM alerts WHERE (@Status IS NULL OR status = @Status) AND (@AgentId IS NULL OR agent_id = @AgentId) " +
            "AND (@RuleId IS NULL OR rule_id = @RuleId) AND (@SinceUs IS NULL OR last_us >= @SinceUs) ORDER BY updated_us DESC, alert_id LIMIT @Limit",
            filter).AsList();
    }

    public AlertRecord? GetAlert(string alertId)
    {
        using var db = Open();
        return db.QuerySingleOrDefault<AlertRecord>($"SELECT {AlertColumns} FROM alerts WHERE alert_id = @alertId", new { alertId });
    }

    public IReadOnlyList<string> AlertEventIds(string alertId, int limit)
    {
        using var db = Open();
        return db.Query<string>("SELECT event_id FROM alert_events WHERE alert_id = @alertId ORDER BY time_us, event_id LIMIT @limit", new { alertId, limit }).AsList();
    }

    public IReadOnlyList<AlertCommentRecord> AlertComments(string alertId)
    {
        using var db = Open();
        return db.Query<AlertCommentRecord>(
            "SELECT id AS Id, alert_id AS AlertId, author AS Author, time_us AS TimeUs, text AS Text FROM alert_comments WHERE alert_id = @alertId ORDER BY id",
            new { alertId }).AsList();
    }

    public bool AssignAlert(string alertId, string? assignee, long nowUs)
    {
        using var db = Open();
        return db.Execute("UPDATE alerts SET assignee = @assignee, updated_us = @nowUs WHERE alert_id = @alertId", new { alertId, assignee, nowUs }) == 1;
    }

    public bool SetAlertStatus(string alertId, string status, long nowUs)
    {
        using var db = Open();
        return db.Execute("UPDATE alerts SET status = @status, updated_us = @nowUs WHERE alert_id = @alertId", new { alertId, status, nowUs }) == 1;
    }

    public bool SetAlertVip(string alertId, bool vip, long nowUs)
    {
        using var db = Open();
        return db.Execute("UPDATE alerts SET vip = @vip, updated_us = @nowUs WHERE alert_id = @alertId", new { alertId, vip, nowUs }) == 1;
    }

    public bool AddAlertComment(string alertId, string author, string text, long nowUs)
    {
        using var db = Open();
        using var transaction = db.BeginTransaction();
        if (db.Execute("UPDATE alerts SET updated_us = @nowUs WHERE alert_id = @alertId", new { alertId, nowUs }, transaction) != 1)
        {
            return false;
        }
        db.Execute("INSERT INTO alert_comments(alert_id, author, time_us, text) VALUES (@alertId, @author, @nowUs, @text)", new { alertId, author, nowUs, text }, transaction);
        transaction.Commit();
        return true;
    }

    public void SetHostVip(string agentId, bool vip, string by, long nowUs)
    {
        using var db = Open();
        using var transaction = db.BeginTransaction();
        db.Execute(
            vip ? "INSERT INTO vip_hosts(agent_id, set_by, set_us) VALUES (@agentId, @by, @nowUs) ON CONFLICT DO NOTHING" : "DELETE FROM vip_hosts WHERE agent_id = @agentId",
            new { agentId, by, nowUs }, transaction);
        // The host's open alerts follow its mark; closed ones keep what they were.
        db.Execute("UPDATE alerts SET vip = @vip WHERE agent_id = @agentId AND status <> @closed", new { agentId, vip, closed = AlertStatuses.Closed }, transaction);
        transaction.Commit();
    }

    public bool IsVipHost(string agentId)
    {
        using var db = Open();
        return db.ExecuteScalar<long>("SELECT count(*) FROM vip_hosts WHERE agent_id = @agentId", new { agentId }) != 0;
    }
}
