using Dapper;
using Microsoft.Data.Sqlite;

namespace Osprey.Node.Storage;

// The quarantine index: entries agents reported quarantined, moved to restored or deleted by later reports.
public sealed partial class SqliteNodeStore
{
    private const string QuarantineColumns =
        "agent_id AS AgentId, quarantine_id AS QuarantineId, state AS State, original_path AS OriginalPath, size AS Size, sha256 AS Sha256, " +
        "quarantined_us AS QuarantinedUs, updated_us AS UpdatedUs, task_id AS TaskId, entry AS Entry";

    private static void CreateQuarantineIndex(SqliteConnection db) => db.Execute("""
        CREATE TABLE IF NOT EXISTS quarantine (
            agent_id TEXT NOT NULL REFERENCES agents(agent_id), quarantine_id TEXT NOT NULL, state TEXT NOT NULL,
            original_path TEXT NOT NULL, size INTEGER NOT NULL, sha256 TEXT NOT NULL, quarantined_us INTEGER NOT NULL,
            updated_us INTEGER NOT NULL, task_id TEXT NOT NULL, entry BLOB NOT NULL,
            PRIMARY KEY (agent_id, quarantine_id));
        CREATE INDEX IF NOT EXISTS quarantine_state ON quarantine(state, quarantined_us);
        """);

    public void UpsertQuarantine(IReadOnlyList<QuarantineRecord> records)
    {
        using var db = Open();
        using var transaction = db.BeginTransaction();
        foreach (var record in records)
        {
            db.Execute(
                """
                INSERT INTO quarantine(agent_id, quarantine_id, state, original_path, size, sha256, quarantined_us, updated_us, task_id, entry)
                VALUES (@AgentId, @QuarantineId, @State, @OriginalPath, @Size, @Sha256, @QuarantinedUs, @UpdatedUs, @TaskId, @Entry)
                ON CONFLICT (agent_id, quarantine_id) DO UPDATE SET state = excluded.state, original_path = excluded.original_path,
                    size = excluded.size, sha256 = excluded.sha256, quarantined_us = excluded.quarantined_us, updated_us = excluded.updated_us,
                    task_id = excluded.task_id, entry = excluded.entry
                """,
                record, transaction);
        }
        transaction.Commit();
    }

    public int SetQuarantineState(string agentId, IReadOnlyList<string> quarantineIds, string state, string taskId, long nowUs)
    {
        using var db = Open();
        using var transaction = db.BeginTransaction();
        var changed = 0;
        foreach (var quarantineId in quarantineIds)
        {
            changed += db.Execute(
                "UPDATE quarantine SET state = @state, task_id = @taskId, updated_us = @nowUs WHERE agent_id = @agentId AND quarantine_id = @quarantineId",
                new { agentId, quarantineId, state, taskId, nowUs }, transaction);
        }
        transaction.Commit();
        return changed;
    }

    public IReadOnlyList<QuarantineRecord> ListQuarantine(QuarantineFilter filter)
    {
        using var db = Open();
        return db.Query<QuarantineRecord>(
            $"SELECT {QuarantineColumns} FROM quarantine WHERE (@AgentId IS NULL OR agent_id = @AgentId) AND (@State IS NULL OR state = @State) " +
            "ORDER BY quarantined_us DESC, quarantine_id LIMIT @Limit", filter).AsList();
    }

    public QuarantineRecord? GetQuarantine(string agentId, string quarantineId)
    {
        using var db = Open();
        return db.QuerySingleOrDefault<QuarantineRecord>(
            $"SELECT {QuarantineColumns} FROM quarantine WHERE agent_id = @agentId AND quarantine_id = @quarantineId", new { agentId, quarantineId });
    }
}
