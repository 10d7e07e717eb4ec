using Dapper;
using Microsoft.Data.Sqlite;
using Osprey.Node.Alerts;

namespace Osprey.Node.Storage;

// Incidents: alerts grouped for one investigation (at most MaxIncidentAlerts), their status, assignee and comments.
public sealed partial class SqliteNodeStore
{
    /// <summary>The most alerts one incident groups (SPEC §3).</summary>
    public const int MaxIncidentAlerts = 200;

    private const string IncidentsSchema = """
        CREATE TABLE IF NOT EXISTS incidents (
            incident_id TEXT PRIMARY KEY, title TEXT NOT NULL, status TEXT NOT NULL, assignee TEXT,
            created_by TEXT NOT NULL, created_us INTEGER NOT NULL, updated_us INTEGER NOT NULL);
        CREATE INDEX IF NOT EXISTS incidents_updated ON incidents(updated_us);
        CREATE TABLE IF NOT EXISTS incident_alerts (
            alert_id TEXT PRIMARY KEY, incident_id TEXT NOT NULL, added_by TEXT NOT NULL, added_us INTEGER NOT NULL);
        CREATE INDEX IF NOT EXISTS incident_alerts_incident ON incident_alerts(incident_id);
        CREATE TABLE IF NOT EXISTS incident_comments (
            id INTEGER PRIMARY KEY, incident_id TEXT NOT NULL, author TEXT NOT NULL, time_us INTEGER NOT NULL, text TEXT NOT NULL);
        CREATE INDEX IF NOT EXISTS incident_comments_incident ON incident_comments(incident_id, id);
        """;

    // Importance, count and VIP are read from the alerts, so they follow alerts added, removed or marked later.
    private const string IncidentSelect = """
        SELECT i.incident_id AS IncidentId, i.title AS Title, i.status AS Status, i.assignee AS Assignee, i.created_by AS CreatedBy,
               i.created_us AS CreatedUs, i.updated_us AS UpdatedUs,
               (SELECT count(*) FROM incident_alerts x WHERE x.incident_id = i.incident_id) AS AlertCount,
               (SELECT coalesce(max(a.vip), 0) FROM incident_alerts x JOIN alerts a ON a.alert_id = x.alert_id WHERE x.incident_id = i.incident_id) AS Vip,
               coalesce((SELECT CASE max(CASE a.importance WHEN 'critical' THEN 4 WHEN 'high' THEN 3 WHEN 'medium' THEN 2 ELSE 1 END)
                                 WHEN 4 THEN 'critical' WHEN 3 THEN 'high' WHEN 2 THEN 'medium' ELSE 'low' END
                         FROM incident_alerts x JOIN alerts a ON a.alert_id = x.alert_id WHERE x.incident_id = i.incident_id), 'low') AS Importance
        FROM incidents i
        """;

    private static void CreateIncidentTables(SqliteConnection db) => db.Execute(IncidentsSchema);

    public IncidentOutcome CreateIncident(string incidentId, string title, IReadOnlyList<string> alertIds, string by, long nowUs)
    {
        using var db = Open();
        using var transaction = db.BeginTransaction(deferred: false);
        db.Execute(
            "INSERT INTO incidents(incident_id, title, status, created_by, created_us, updated_us) VALUES (@incidentId, @title, @status, @by, @nowUs, @nowUs)",
            new { incidentId, title, status = AlertStatuses.New, by, nowUs }, transaction);
        var outcome = AddAlerts(db, transaction, incidentId, alertIds, by, nowUs);
        if (outcome.Change == IncidentChange.Done)
        {
            transaction.Commit();
        }
        return outcome;
    }

    public IncidentOutcome ChangeIncidentAlerts(string incidentId, IReadOnlyList<string> add, IReadOnlyList<string> remove, string by, long nowUs)
    {
        using var db = Open();
        using var transaction = db.BeginTransaction(deferred: false);
        if (db.ExecuteScalar<long>("SELECT count(*) FROM incidents WHERE incident_id = @incidentId", new { incidentId }, transaction) == 0)
        {
            return new IncidentOutcome(IncidentChange.NoSuchIncident, []);
        }
        var notHere = remove.Where(id => db.ExecuteScalar<long>(
            "SELECT count(*) FROM incident_alerts WHERE alert_id = @id AND incident_id = @incidentId", new { id, incidentId }, transaction) == 0).ToList();
        if (notHere.Count > 0)
        {
            return new IncidentOutcome(IncidentChange.UnknownAlerts, notHere);
        }
        db.Execute("DELETE FROM incident_alerts WHERE alert_id = @id", remove.Select(id => new { id }), transaction);
        var outcome = AddAlerts(db, transaction, incidentId, add, by, nowUs);
        if (outcome.Change == IncidentChange.Done)
        {
            db.Execute("UPDATE incidents SET updated_us = @nowUs WHERE incident_id = @incidentId", new { incidentId, nowUs }, transaction);
            transaction.Commit();
        }
        return outcome;
    }

    /// <summary>Adds alerts to an incident inside the caller's transaction, or says why none can be added.</summary>
    private static IncidentOutcome AddAlerts(SqliteConnection db, SqliteTransaction transaction, string incidentId, IReadOnlyList<string> alertIds, string by, long nowUs)
    {
        var unknown = alertIds.Where(id => db.ExecuteScalar<long>("SELECT count(*) FROM alerts WHERE alert_id = @id", new { id }, transaction) == 0).ToList();
        if (unknown.Count > 0)
        {
            return new IncidentOutcome(IncidentChange.UnknownAlerts, unknown);
        }
        var elsewhere = alertIds.Where(id => db.ExecuteScalar<string?>("SELECT incident_id FROM incident_alerts WHERE alert_id = @id", new { id }, transaction) is { } other && other != incidentId).ToList();
        if (elsewhere.Count > 0)
        {
            return new IncidentOutcome(IncidentChange.AlertsInAnotherIncident, elsewhere);
        }
        db.Execute(
            "INSERT INTO incident_alerts(alert_id, incident_id, added_by, added_us) VALUES (@id, @incidentId, @by, @nowUs) ON CONFLICT DO NOTHING",
            alertIds.Select(id => new { id, incidentId, by, nowUs }), transaction);
        var count = db.ExecuteScalar<long>("SELECT count(*) FROM incident_alerts WHERE incident_id = @incidentId", new { incidentId }, transaction);
        return count > MaxIncidentAlerts ? new IncidentOutcome(IncidentChange.TooManyAlerts, [], count) : new IncidentOutcome(IncidentChange.Done, [], count);
    }

    public IReadOnlyList<IncidentRecord> ListIncidents(IncidentFilter filter)
    {
        using var db = Open();
        return db.Query<IncidentRecord>(
            IncidentSelect + " WHERE (@Status IS NULL OR i.status = @Status) AND (@Assignee IS NULL OR i.assignee = @Assignee) ORDER BY i.updated_us DESC, i.incident_id LIMIT @Limit",
            filter).AsList();
    }

    public IncidentRecord? GetIncident(string incidentId)
    {
        using var db = Open();
        return db.QuerySingleOrDefault<IncidentRecord>(IncidentSelect + " WHERE i.incident_id = @incidentId", new { incidentId });
    }

    public IReadOnlyList<AlertRecord> IncidentAlerts(string incidentId)
    {
        using var db = Open();
        return db.Query<AlertRecord>(
            $"SELECT {AlertColumns} FROM alerts WHERE alert_id IN (SELECT alert_id FROM incident_alerts WHERE incident_id = @incidentId) ORDER BY first_us, alert_id",
            new { incidentId }).AsList();
    }

    public bool SetIncidentStatus(string incidentId, string status, bool closeAlerts, long nowUs)
    {
        using var db = Open();
        using var transaction = db.BeginTransaction();
        if (db.Execute("UPDATE incidents SET status = @status, updated_us = @nowUs WHERE incident_id = @incidentId", new { incidentId, status, nowUs }, transaction) != 1)
        {
            return false;
        }
        if (closeAlerts)
        {
            db.Execute(
                "UPDATE alerts SET status = @closed, updated_us = @nowUs WHERE status <> @closed AND alert_id IN (SELECT alert_id FROM incident_alerts WHERE incident_id = @incidentId)",
                new { incidentId, closed = AlertStatuses.Closed, nowUs }, transaction);
        }
        transaction.Commit();
        return true;
    }

    public bool AssignIncident(string incidentId, string? assignee, long nowUs)
    {
        using var db = Open();
        return db.Execute("UPDATE incidents SET assignee = @assignee, updated_us = @nowUs WHERE incident_id = @incidentId", new { incidentId, assignee, nowUs }) == 1;
    }

    public bool AddIncidentComment(string incidentId, string author, string text, long nowUs)
    {
        using var db = Open();
        using var transaction = db.BeginTransaction();
        if (db.Execute("UPDATE incidents SET updated_us = @nowUs WHERE incident_id = @incidentId", new { incidentId, nowUs }, transaction) != 1)
        {
            return false;
        }
        db.Execute("INSERT INTO incident_comments(incident_id, author, time_us, text) VALUES (@incidentId, @author, @nowUs, @text)", new { incidentId, author, nowUs, text }, transaction);
        transaction.Commit();
        return true;
    }

    public IReadOnlyList<AlertCommentRecord> IncidentComments(string incidentId)
    {
        using var db = Open();
        return db.Query<AlertCommentRecord>(
            "SELECT id AS Id, incident_id AS AlertId, author AS Author, time_us AS TimeUs, text AS Text FROM incident_comments WHERE incident_id = @incidentId ORDER BY id",
            new { incidentId }).AsList();
    }
}
