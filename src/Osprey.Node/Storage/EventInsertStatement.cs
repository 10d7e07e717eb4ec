using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace Osprey.Node.Storage;

/// <summary>
/// The prepared INSERTs of one day table and its body table, driven through the SQLite C API: the writer binds every column of
/// every event, and ADO.NET's per-call parameter handling cost as much as SQLite's own insert. Text is bound
/// as UTF-16 straight from the string (SQLite converts it without a managed copy).
/// </summary>
internal sealed class EventInsertStatement : IDisposable
{
    private readonly sqlite3 _db;
    private readonly sqlite3_stmt _statement;
    private readonly sqlite3_stmt _body;

    public EventInsertStatement(SqliteConnection connection, string partition)
    {
        _db = connection.Handle!;
        var sql = $"INSERT INTO {partition} ({SqliteEventStore.InsertColumns}) VALUES ({string.Join(", ", Enumerable.Repeat("?", ColumnCount))})";
        Check(raw.sqlite3_prepare_v2(_db, sql, out _statement));
        Check(raw.sqlite3_prepare_v2(_db, $"INSERT INTO {SqliteEventStore.BodyTable(partition)} (id, body) VALUES (?, ?)", out _body));
    }

    /// <summary>Columns in <see cref="SqliteEventStore.InsertColumns"/>.</summary>
    private const int ColumnCount = 24;

    public void Insert(StoredEvent row)
    {
        var body = row.Body ?? throw new InvalidOperationException("a row to insert carries its serialized event");
        Text(1, row.EventId);
        Text(2, row.AgentId);
        Check(raw.sqlite3_bind_int64(_statement, 3, row.Sequence));
        Text(4, row.EventType);
        Check(raw.sqlite3_bind_int64(_statement, 5, row.EventTimeUs));
        Text(6, row.Host);
        Text(7, row.HostIp);
        Text(8, row.UserName);
        Text(9, row.UniquePid);
        Text(10, row.ParentUniquePid);
        Number(11, row.Pid);
        Text(12, row.ProcessName);
        Text(13, row.ProcessPath);
        Text(14, row.CommandLine);
        Text(15, row.FilePath);
        Text(16, row.FileName);
        Text(17, row.Md5);
        Text(18, row.Sha256);
        Text(19, row.LocalIp);
        Number(20, row.LocalPort);
        Text(21, row.RemoteIp);
        Number(22, row.RemotePort);
        Text(23, row.Protocol);
        Text(24, row.DnsName);
        Step(_statement);
        // Same transaction, so the row and its body are stored together or not at all.
        Check(raw.sqlite3_bind_int64(_body, 1, raw.sqlite3_last_insert_rowid(_db)));
        Check(raw.sqlite3_bind_blob(_body, 2, body));
        Step(_body);
    }

    private void Step(sqlite3_stmt statement)
    {
        var rc = raw.sqlite3_step(statement);
        // Reset whatever the outcome, so the statement is ready (and holds no lock) for the next row.
        var reset = raw.sqlite3_reset(statement);
        Check(rc == raw.SQLITE_DONE ? reset : rc);
    }

    private void Text(int index, string? value) =>
        Check(value is null ? raw.sqlite3_bind_null(_statement, index) : raw.sqlite3_bind_text16(_statement, index, value.AsSpan()));

    private void Number(int index, long? value) =>
        Check(value is { } v ? raw.sqlite3_bind_int64(_statement, index, v) : raw.sqlite3_bind_null(_statement, index));

    private void Check(int rc)
    {
        if (rc != raw.SQLITE_OK)
        {
            SqliteException.ThrowExceptionForRC(rc, _db);
        }
    }

    public void Dispose()
    {
        _statement.Dispose();
        _body.Dispose();
    }
}
