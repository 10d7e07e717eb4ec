using Dapper;

namespace Osprey.Node.Storage;

// What the SIEM export reads: alert changes in commit order, audit records by ID, and how far each stream got.
public sealed partial class SqliteNodeStore
{
    public const string AlertStream = "alerts";
    public const string AuditStream = "audit";

    private const string ExportSchema = """
        CREATE TABLE IF NOT EXISTS export_cursors (stream TEXT PRIMARY KEY, position INTEGER NOT NULL, updated_us INTEGER NOT NULL);
        CREATE TABLE IF NOT EXISTS alert_changes (seq INTEGER PRIMARY KEY AUTOINCREMENT, alert_id TEXT NOT NULL, change TEXT NOT NULL);
        """;

    // The change log is written by triggers inside the transaction that changes the alert, so its order is the commit
    // order whichever code path changed the alert (detection, an operator, an incident being closed).
    private const string AlertChangeTriggers = """
        CREATE TRIGGER IF NOT EXISTS alert_created AFTER INSERT ON alerts BEGIN INSERT INTO alert_changes(alert_id, change) VALUES (new.alert_id, 'created'); END;
        CREATE TRIGGER IF NOT EXISTS alert_updated AFTER UPDATE ON alerts BEGIN INSERT INTO alert_changes(alert_id, change) VALUES (new.alert_id, 'updated'); END;
        """;

    /// <summary>Turns the alert change log on (export configured) or off and empties it (nothing would ever read it).</summary>
    public void SetAlertChangeLog(bool on)
    {
        using var db = Open();
        using var transaction = db.BeginTransaction();
        db.Execute(ExportSchema, transaction: transaction);
        if (on)
        {
            db.Execute(AlertChangeTriggers, transaction: transaction);
        }
        else
        {
            db.Execute("DROP TRIGGER IF EXISTS alert_created; DROP TRIGGER IF EXISTS alert_updated; DELETE FROM alert_changes;", transaction: transaction);
        }
        transaction.Commit();
    }

    public long? ExportCursor(string stream)
    {
        using var db = Open();
        return db.ExecuteScalar<long?>("SELECT position FROM export_cursors WHERE stream = @stream", new { stream });
    }

    /// <summary>Records how far a stream was delivered; alert changes up to there are no longer needed.</summary>
    public void SetExportCursor(string stream, long position, long nowUs)
    {
        using var db = Open();
        using var transaction = db.BeginTransaction();
        db.Execute(
            "INSERT INTO export_cursors(stream, position, updated_us) VALUES (@stream, @position, @nowUs) ON CONFLICT(stream) DO UPDATE SET position = excluded.position, updated_us = excluded.updated_us",
            new { stream, position, nowUs }, transaction);
        if (stream == AlertStream)
        {
            db.Execute("DELETE FROM alert_changes WHERE seq <= @position", new { position }, transaction);
        }
        transaction.Commit();
    }

    /// <summary>The newest position of a stream (0 when empty): where a stream starts that does not export history.</summary>
    public long ExportHead(string stream)
    {
        using var db = Open();
        return stream == AlertStream
            ? db.ExecuteScalar<long?>("SELECT max(seq) FROM alert_changes") ?? 0
            : db.ExecuteScalar<long?>("SELECT max(id) FROM audit") ?? 0;
    }

    /// <summary>Alert changes after <paramref name="after"/>, oldest first, each with the alert as it is now.</summary>
    public IReadOnlyList<(long Seq, string Change, AlertRecord Alert)> AlertChangesAfter(long after, int limit)
    {
        using var db = Open();
        using var transaction = db.BeginTransaction();
        var changes = db.Query<(long Seq, string AlertId, string Change)>(
            "SELECT seq, alert_id, change FROM alert_changes WHERE seq > @after ORDER BY seq LIMIT @limit", new { after, limit }, transaction).AsList();
        var alerts = db.Query<AlertRecord>(
            $"SELECT {AlertColumns} FROM alerts WHERE alert_id IN (SELECT value FROM json_each(@ids))",
            new { ids = System.Text.Json.JsonSerializer.Serialize(changes.Select(c => c.AlertId).Distinct().ToArray(), ExportJsonContext.Default.StringArray) }, transaction)
            .ToDictionary(a => a.AlertId, StringComparer.Ordinal);
        return [.. changes.Where(c => alerts.ContainsKey(c.AlertId)).Select(c => (c.Seq, c.Change, alerts[c.AlertId]))];
    }

    public IReadOnlyList<AuditRecord> AuditAfter(long after, int limit)
    {
        using var db = Open();
        return db.Query<AuditRecord>(
            "SELECT id AS Id, time_us AS TimeUs, user_name AS User, role AS Role, action AS Action, target AS Target, status AS Status, remote AS Remote, detail AS Detail " +
            "FROM audit WHERE id > @after ORDER BY id LIMIT @limit",
            new { after, limit }).AsList();
    }
}

[System.Text.Json.Serialization.JsonSerializable(typeof(string[]))]
internal sealed partial class ExportJsonContext : System.Text.Json.Serialization.JsonSerializerContext;
