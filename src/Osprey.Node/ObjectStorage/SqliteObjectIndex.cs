using Dapper;
using Microsoft.Data.Sqlite;
using Osprey.Node.Storage;

namespace Osprey.Node.ObjectStorage;

/// <summary>IObjectIndex in the node's own database (node.db), in tables of its own.</summary>
public sealed class SqliteObjectIndex(string path) : IObjectIndex
{
    private const string Schema = """
        CREATE TABLE IF NOT EXISTS storage_objects (
            sha256 TEXT PRIMARY KEY, size INTEGER NOT NULL, name TEXT NOT NULL, kind TEXT NOT NULL,
            agent_id TEXT, task_id TEXT, uploaded_by TEXT, created_us INTEGER NOT NULL, accessed_us INTEGER NOT NULL);
        CREATE INDEX IF NOT EXISTS storage_objects_accessed ON storage_objects(accessed_us, created_us);
        CREATE INDEX IF NOT EXISTS storage_objects_created ON storage_objects(created_us);
        CREATE TABLE IF NOT EXISTS storage_uploads (
            upload_id TEXT PRIMARY KEY, sha256 TEXT NOT NULL, size INTEGER NOT NULL, name TEXT NOT NULL, kind TEXT NOT NULL,
            agent_id TEXT, task_id TEXT, uploaded_by TEXT, uploader TEXT NOT NULL, received INTEGER NOT NULL DEFAULT 0,
            created_us INTEGER NOT NULL, updated_us INTEGER NOT NULL, UNIQUE (uploader, sha256));
        """;

    private const string ObjectColumns =
        "sha256 AS Sha256, size AS Size, name AS Name, kind AS Kind, agent_id AS AgentId, task_id AS TaskId, uploaded_by AS UploadedBy, created_us AS CreatedUs, accessed_us AS AccessedUs";

    private const string UploadColumns =
        "upload_id AS UploadId, sha256 AS Sha256, size AS Size, name AS Name, kind AS Kind, agent_id AS AgentId, task_id AS TaskId, uploaded_by AS UploadedBy, uploader AS Uploader, received AS Received, created_us AS CreatedUs, updated_us AS UpdatedUs";

    private SqliteConnection Open() => SqliteConnections.Open(path);

    public void Initialize()
    {
        using var db = Open();
        db.Execute(Schema);
    }

    public StoredObject? GetObject(string sha256)
    {
        using var db = Open();
        return db.QuerySingleOrDefault<StoredObject>($"SELECT {ObjectColumns} FROM storage_objects WHERE sha256 = @sha256", new { sha256 });
    }

    public IReadOnlyList<StoredObject> ListObjects(ObjectQuery query)
    {
        using var db = Open();
        var prefix = query.Sha256Prefix is null ? null : query.Sha256Prefix.ToLowerInvariant() + "%";
        return db.Query<StoredObject>(
            $"""
            SELECT {ObjectColumns} FROM storage_objects
            WHERE (@AgentId IS NULL OR agent_id = @AgentId) AND (@TaskId IS NULL OR task_id = @TaskId)
              AND (@UploadedBy IS NULL OR uploaded_by = @UploadedBy) AND (@Kind IS NULL OR kind = @Kind)
              AND (@prefix IS NULL OR sha256 LIKE @prefix)
            ORDER BY created_us DESC, sha256 LIMIT @Limit
            """,
            new { query.AgentId, query.TaskId, query.UploadedBy, query.Kind, prefix, query.Limit }).AsList();
    }

    public IReadOnlyList<string> AllObjectIds()
    {
        using var db = Open();
        return db.Query<string>("SELECT sha256 FROM storage_objects").AsList();
    }

    public long TotalBytes()
    {
        using var db = Open();
        return db.ExecuteScalar<long>("SELECT coalesce(sum(size), 0) FROM storage_objects");
    }

    public IReadOnlyList<StoredObject> LeastRecentlyUsed(int limit)
    {
        using var db = Open();
        return db.Query<StoredObject>(
            $"SELECT {ObjectColumns} FROM storage_objects ORDER BY accessed_us, created_us, sha256 LIMIT @limit", new { limit }).AsList();
    }

    public void Touch(string sha256, long nowUs)
    {
        using var db = Open();
        db.Execute("UPDATE storage_objects SET accessed_us = max(accessed_us, @nowUs) WHERE sha256 = @sha256", new { sha256, nowUs });
    }

    public bool DeleteObject(string sha256)
    {
        using var db = Open();
        return db.Execute("DELETE FROM storage_objects WHERE sha256 = @sha256", new { sha256 }) == 1;
    }

    public UploadRecord? GetUpload(string uploadId)
    {
        using var db = Open();
        return db.QuerySingleOrDefault<UploadRecord>($"SELECT {UploadColumns} FROM storage_uploads WHERE upload_id = @uploadId", new { uploadId });
    }

    public UploadRecord? FindUpload(string uploader, string sha256)
    {
        using var db = Open();
        return db.QuerySingleOrDefault<UploadRecord>(
            $"SELECT {UploadColumns} FROM storage_uploads WHERE uploader = @uploader AND sha256 = @sha256", new { uploader, sha256 });
    }

    public IReadOnlyList<UploadRecord> ListUploads()
    {
        using var db = Open();
        return db.Query<UploadRecord>($"SELECT {UploadColumns} FROM storage_uploads ORDER BY created_us").AsList();
    }

    public int CountUploads(string uploader)
    {
        using var db = Open();
        return db.ExecuteScalar<int>("SELECT count(*) FROM storage_uploads WHERE uploader = @uploader", new { uploader });
    }

    public bool AddUpload(UploadRecord upload)
    {
        using var db = Open();
        return db.Execute(
            """
            INSERT INTO storage_uploads(upload_id, sha256, size, name, kind, agent_id, task_id, uploaded_by, uploader, received, created_us, updated_us)
            VALUES (@UploadId, @Sha256, @Size, @Name, @Kind, @AgentId, @TaskId, @UploadedBy, @Uploader, @Received, @CreatedUs, @UpdatedUs)
            ON CONFLICT DO NOTHING
            """,
            upload) == 1;
    }

    public void SetReceived(string uploadId, long received, long nowUs)
    {
        using var db = Open();
        db.Execute("UPDATE storage_uploads SET received = @received, updated_us = @nowUs WHERE upload_id = @uploadId", new { uploadId, received, nowUs });
    }

    public void DeleteUpload(string uploadId)
    {
        using var db = Open();
        db.Execute("DELETE FROM storage_uploads WHERE upload_id = @uploadId", new { uploadId });
    }

    public void CommitUpload(string uploadId, StoredObject stored)
    {
        using var db = Open();
        using var transaction = db.BeginTransaction();
        db.Execute(
            """
            INSERT INTO storage_objects(sha256, size, name, kind, agent_id, task_id, uploaded_by, created_us, accessed_us)
            VALUES (@Sha256, @Size, @Name, @Kind, @AgentId, @TaskId, @UploadedBy, @CreatedUs, @AccessedUs)
            ON CONFLICT DO NOTHING
            """,
            stored, transaction);
        db.Execute("DELETE FROM storage_uploads WHERE upload_id = @uploadId", new { uploadId }, transaction);
        transaction.Commit();
    }
}
