using Dapper;

namespace Osprey.Node.Storage;

// Stored batches whose streaming evaluation was skipped (their partition stayed full): detection catches up on them.
public sealed partial class SqliteNodeStore
{
    private const string DetectionBacklogSchema = """
        CREATE TABLE IF NOT EXISTS detection_backlog (
            id INTEGER PRIMARY KEY, agent_id TEXT NOT NULL, first_seq INTEGER NOT NULL, last_seq INTEGER NOT NULL,
            from_us INTEGER NOT NULL, to_us INTEGER NOT NULL, stored_us INTEGER NOT NULL, events INTEGER NOT NULL);
        """;

    public void AddDetectionBacklog(DetectionBacklogEntry entry)
    {
        using var db = Open();
        db.Execute(
            "INSERT INTO detection_backlog(agent_id, first_seq, last_seq, from_us, to_us, stored_us, events) VALUES (@AgentId, @FirstSeq, @LastSeq, @FromUs, @ToUs, @StoredUs, @Events)",
            entry);
    }

    public IReadOnlyList<DetectionBacklogEntry> DetectionBacklog(int limit)
    {
        using var db = Open();
        return [.. db.Query<DetectionBacklogEntry>(
            "SELECT id AS Id, agent_id AS AgentId, first_seq AS FirstSeq, last_seq AS LastSeq, from_us AS FromUs, to_us AS ToUs, stored_us AS StoredUs, events AS Events " +
            "FROM detection_backlog ORDER BY id LIMIT @limit",
            new { limit })];
    }

    public void RemoveDetectionBacklog(long id)
    {
        using var db = Open();
        db.Execute("DELETE FROM detection_backlog WHERE id = @id", new { id });
    }
}
