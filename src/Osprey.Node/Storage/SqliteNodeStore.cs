using Dapper;
using Microsoft.Data.Sqlite;

namespace Osprey.Node.Storage;

/// <summary>INodeStore on the embedded SQLite database node.db.</summary>
public sealed partial class SqliteNodeStore(string path) : INodeStore
{
    private const string Schema = """
        CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL);
        CREATE TABLE IF NOT EXISTS users (
            name TEXT PRIMARY KEY COLLATE NOCASE, role TEXT NOT NULL, password_hash TEXT,
            created_us INTEGER NOT NULL, disabled INTEGER NOT NULL DEFAULT 0);
        CREATE TABLE IF NOT EXISTS api_tokens (
            id TEXT PRIMARY KEY, user_name TEXT NOT NULL REFERENCES users(name), token_hash BLOB NOT NULL UNIQUE,
            created_us INTEGER NOT NULL, expires_us INTEGER, revoked INTEGER NOT NULL DEFAULT 0);
        CREATE TABLE IF NOT EXISTS enroll_tokens (
            id TEXT PRIMARY KEY, token_hash BLOB NOT NULL UNIQUE, created_us INTEGER NOT NULL, expires_us INTEGER NOT NULL,
            max_uses INTEGER NOT NULL, uses INTEGER NOT NULL DEFAULT 0, revoked INTEGER NOT NULL DEFAULT 0, created_by TEXT NOT NULL);
        CREATE TABLE IF NOT EXISTS agents (
            agent_id TEXT PRIMARY KEY, certificate_serial TEXT NOT NULL, enrolled_us INTEGER NOT NULL,
            revoked INTEGER NOT NULL DEFAULT 0, host_name TEXT NOT NULL, last_seen_us INTEGER NOT NULL,
            device BLOB, status BLOB, node_address TEXT NOT NULL DEFAULT '', token_id TEXT NOT NULL);
        CREATE TABLE IF NOT EXISTS tasks (
            task_id TEXT PRIMARY KEY, agent_id TEXT NOT NULL REFERENCES agents(agent_id), type TEXT NOT NULL,
            state TEXT NOT NULL, created_us INTEGER NOT NULL, created_by TEXT NOT NULL, definition BLOB NOT NULL,
            delivered_us INTEGER);
        CREATE INDEX IF NOT EXISTS tasks_agent_state ON tasks(agent_id, state);
        CREATE TABLE IF NOT EXISTS reports (
            id INTEGER PRIMARY KEY, task_id TEXT NOT NULL, agent_id TEXT NOT NULL, received_us INTEGER NOT NULL,
            status TEXT NOT NULL, report BLOB NOT NULL);
        CREATE TABLE IF NOT EXISTS audit (
            id INTEGER PRIMARY KEY, time_us INTEGER NOT NULL, user_name TEXT NOT NULL, role TEXT NOT NULL,
            action TEXT NOT NULL, target TEXT NOT NULL, status INTEGER NOT NULL, remote TEXT NOT NULL, detail TEXT NOT NULL);
        CREATE INDEX IF NOT EXISTS audit_time ON audit(time_us);
        """;

    private const string UserColumns = "name AS Name, role AS Role, created_us AS CreatedUs, disabled AS Disabled";

    private const string TokenColumns = "id AS Id, created_us AS CreatedUs, expires_us AS ExpiresUs, max_uses AS MaxUses, uses AS Uses, revoked AS Revoked, created_by AS CreatedBy";

    private SqliteConnection Open() => SqliteConnections.Open(path);

    public void Initialize()
    {
        using var db = Open();
        db.Execute(Schema);
        if (db.ExecuteScalar<long>("SELECT count(*) FROM schema_version") == 0)
        {
            db.Execute("INSERT INTO schema_version VALUES (1)");
        }
        MigrateTasks(db);
        CreateQuarantineIndex(db);
    }

    public bool AddUser(string name, string role, string? passwordHash, long nowUs)
    {
        using var db = Open();
        return db.Execute(
            "INSERT INTO users(name, role, password_hash, created_us) VALUES (@name, @role, @passwordHash, @nowUs) ON CONFLICT DO NOTHING",
            new { name, role, passwordHash, nowUs }) == 1;
    }

    public UserRecord? GetUser(string name)
    {
        using var db = Open();
        return db.QuerySingleOrDefault<UserRecord>(
            $"SELECT {UserColumns} FROM users WHERE name = @name", new { name });
    }

    public IReadOnlyList<UserRecord> ListUsers()
    {
        using var db = Open();
        return db.Query<UserRecord>($"SELECT {UserColumns} FROM users ORDER BY name").AsList();
    }

    public bool SetRole(string name, string role)
    {
        using var db = Open();
        return db.Execute("UPDATE users SET role = @role WHERE name = @name", new { name, role }) == 1;
    }

    public void AddApiToken(string id, string userName, byte[] tokenHash, long nowUs, long? expiresUs)
    {
        using var db = Open();
        db.Execute(
            "INSERT INTO api_tokens(id, user_name, token_hash, created_us, expires_us) VALUES (@id, @userName, @tokenHash, @nowUs, @expiresUs)",
            new { id, userName, tokenHash, nowUs, expiresUs });
    }

    public UserRecord? FindUserByApiToken(byte[] tokenHash, long nowUs)
    {
        using var db = Open();
        return db.QuerySingleOrDefault<UserRecord>(
            """
            SELECT u.name AS Name, u.role AS Role, u.created_us AS CreatedUs, u.disabled AS Disabled
            FROM api_tokens t JOIN users u ON u.name = t.user_name
            WHERE t.token_hash = @tokenHash AND t.revoked = 0 AND (t.expires_us IS NULL OR t.expires_us > @nowUs) AND u.disabled = 0
            """,
            new { tokenHash, nowUs });
    }

    public void AddEnrollToken(string id, byte[] tokenHash, long nowUs, long expiresUs, int maxUses, string createdBy)
    {
        using var db = Open();
        db.Execute(
            "INSERT INTO enroll_tokens(id, token_hash, created_us, expires_us, max_uses, created_by) VALUES (@id, @tokenHash, @nowUs, @expiresUs, @maxUses, @createdBy)",
            new { id, tokenHash, nowUs, expiresUs, maxUses, createdBy });
    }

    public IReadOnlyList<EnrollTokenRecord> ListEnrollTokens()
    {
        using var db = Open();
        return db.Query<EnrollTokenRecord>(
            $"SELECT {TokenColumns} FROM enroll_tokens ORDER BY created_us").AsList();
    }

    public bool RevokeEnrollToken(string id)
    {
        using var db = Open();
        return db.Execute("UPDATE enroll_tokens SET revoked = 1 WHERE id = @id", new { id }) == 1;
    }

    public EnrollOutcome Enroll(byte[] tokenHash, long nowUs, string agentId, string certificateSerial, string hostName, byte[] device)
    {
        using var db = Open();
        using var transaction = db.BeginTransaction(deferred: false);
        var token = db.QuerySingleOrDefault<EnrollTokenRecord>(
            $"SELECT {TokenColumns} FROM enroll_tokens WHERE token_hash = @tokenHash",
            new { tokenHash }, transaction);
        var outcome = token switch
        {
            null => EnrollOutcome.UnknownToken,
            { Revoked: true } => EnrollOutcome.Revoked,
            _ when token.ExpiresUs <= nowUs => EnrollOutcome.Expired,
            _ when token.Uses >= token.MaxUses => EnrollOutcome.UsedUp,
            _ => EnrollOutcome.Accepted,
        };
        if (outcome != EnrollOutcome.Accepted)
        {
            return outcome;
        }
        db.Execute("UPDATE enroll_tokens SET uses = uses + 1 WHERE id = @Id", new { token!.Id }, transaction);
        db.Execute(
            """
            INSERT INTO agents(agent_id, certificate_serial, enrolled_us, host_name, last_seen_us, device, token_id)
            VALUES (@agentId, @certificateSerial, @nowUs, @hostName, @nowUs, @device, @Id)
            """,
            new { agentId, certificateSerial, nowUs, hostName, device, token.Id }, transaction);
        transaction.Commit();
        return outcome;
    }

    private const string AgentColumns =
        "agent_id AS AgentId, certificate_serial AS CertificateSerial, enrolled_us AS EnrolledUs, revoked AS Revoked, host_name AS HostName, last_seen_us AS LastSeenUs, device AS Device, status AS Status, node_address AS NodeAddress";

    public AgentRecord? GetAgent(string agentId)
    {
        using var db = Open();
        return db.QuerySingleOrDefault<AgentRecord>($"SELECT {AgentColumns} FROM agents WHERE agent_id = @agentId", new { agentId });
    }

    public IReadOnlyList<AgentRecord> ListAgents()
    {
        using var db = Open();
        return db.Query<AgentRecord>($"SELECT {AgentColumns} FROM agents ORDER BY host_name, agent_id").AsList();
    }

    public bool RevokeAgent(string agentId)
    {
        using var db = Open();
        return db.Execute("UPDATE agents SET revoked = 1 WHERE agent_id = @agentId", new { agentId }) == 1;
    }

    public void RecordSync(string agentId, long nowUs, string hostName, string nodeAddress, byte[] device, byte[] status)
    {
        using var db = Open();
        db.Execute(
            "UPDATE agents SET last_seen_us = @nowUs, host_name = @hostName, node_address = @nodeAddress, device = @device, status = @status WHERE agent_id = @agentId",
            new { agentId, nowUs, hostName, nodeAddress, device, status });
    }

    public void AppendAudit(AuditRecord record)
    {
        using var db = Open();
        db.Execute(
            "INSERT INTO audit(time_us, user_name, role, action, target, status, remote, detail) VALUES (@TimeUs, @User, @Role, @Action, @Target, @Status, @Remote, @Detail)",
            record);
    }

    public IReadOnlyList<AuditRecord> ListAudit(long sinceUs, int limit)
    {
        using var db = Open();
        return db.Query<AuditRecord>(
            "SELECT id AS Id, time_us AS TimeUs, user_name AS User, role AS Role, action AS Action, target AS Target, status AS Status, remote AS Remote, detail AS Detail FROM audit WHERE time_us >= @sinceUs ORDER BY id DESC LIMIT @limit",
            new { sinceUs, limit }).AsList();
    }
}
