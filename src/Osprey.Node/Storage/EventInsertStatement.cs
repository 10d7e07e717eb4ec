using System.Runtime.InteropServices;
using Microsoft.Data.Sqlite;
using Osprey.Detection.Hunting;
using SQLitePCL;

namespace Osprey.Node.Storage;

/// <summary>
/// The prepared INSERTs of one day table and its body table, driven through the SQLite C API: the writer binds every
/// column of every event, and ADO.NET's per-call parameter handling cost as much as SQLite's own insert. The
/// statements are prepared through SQLitePCL (which owns their lifetime) and bound through direct imports of the
/// same library: SQLitePCL's safe-handle reference counting on each of the thirty calls per row was the largest
/// managed cost left on the writer thread. Text is bound as UTF-16 straight from the string (SQLite copies it).
/// </summary>
internal sealed partial class EventInsertStatement : IDisposable
{
    private readonly SqliteConnection _connection;
    private readonly sqlite3_stmt _statement;
    private readonly sqlite3_stmt _body;

    public EventInsertStatement(SqliteConnection connection, string partition)
    {
        _connection = connection;
        var db = connection.Handle!;
        var sql = $"INSERT INTO {partition} ({SqliteEventStore.InsertColumns}) VALUES ({string.Join(", ", Enumerable.Repeat("?", ColumnCount))})";
        Check(raw.sqlite3_prepare_v2(db, sql, out _statement));
        Check(raw.sqlite3_prepare_v2(db, $"INSERT INTO {SqliteEventStore.BodyTable(partition)} (id, body) VALUES (?, ?)", out _body));
    }

    /// <summary>Columns in <see cref="SqliteEventStore.InsertColumns"/>.</summary>
    private const int ColumnCount = 28;

    /// <summary>SQLITE_TRANSIENT: SQLite copies the bound value before the call returns.</summary>
    private static readonly nint Transient = -1;

    public void Insert(StoredEvent row)
    {
        var body = row.Body ?? throw new InvalidOperationException("a row to insert carries its serialized event");
        var db = _connection.Handle!;
        var added = false;
        db.DangerousAddRef(ref added);
        try
        {
            var s = _statement.DangerousGetHandle();
            Text(s, 1, row.EventId);
            Text(s, 2, row.AgentId);
            Check(Native.BindInt64(s, 3, row.Sequence));
            Text(s, 4, row.EventType);
            Check(Native.BindInt64(s, 5, row.EventTimeUs));
            Text(s, 6, row.Host);
            Text(s, 7, row.HostIp);
            Text(s, 8, row.UserName);
            Text(s, 9, row.UniquePid);
            Text(s, 10, row.ParentUniquePid);
            Number(s, 11, row.Pid);
            Text(s, 12, row.ProcessName);
            Text(s, 13, row.ProcessPath);
            Text(s, 14, row.CommandLine);
            Text(s, 15, row.FilePath);
            Text(s, 16, row.FileName);
            Text(s, 17, row.Md5);
            Text(s, 18, row.Sha256);
            Text(s, 19, row.LocalIp);
            Number(s, 20, row.LocalPort);
            Text(s, 21, row.RemoteIp);
            Number(s, 22, row.RemotePort);
            Text(s, 23, row.Protocol);
            Text(s, 24, row.DnsName);
            Key(s, 25, row.UniquePid);
            Key(s, 26, row.ParentUniquePid);
            Key(s, 27, row.Md5);
            Key(s, 28, row.Sha256);
            Step(s);
            // Same transaction, so the row and its body are stored together or not at all.
            var b = _body.DangerousGetHandle();
            Check(Native.BindInt64(b, 1, Native.LastInsertRowId(db.DangerousGetHandle())));
            Blob(b, 2, body);
            Step(b);
        }
        finally
        {
            if (added)
            {
                db.DangerousRelease();
            }
        }
    }

    private void Step(nint statement)
    {
        var rc = Native.Step(statement);
        // Reset whatever the outcome, so the statement is ready (and holds no lock) for the next row.
        var reset = Native.Reset(statement);
        Check(rc == raw.SQLITE_DONE ? reset : rc);
    }

    private unsafe void Text(nint statement, int index, string? value)
    {
        if (value is null)
        {
            Check(Native.BindNull(statement, index));
            return;
        }
        fixed (char* text = value)
        {
            Check(Native.BindText16(statement, index, text, value.Length * sizeof(char), Transient));
        }
    }

    private unsafe void Blob(nint statement, int index, byte[] value)
    {
        fixed (byte* data = value)
        {
            Check(Native.BindBlob(statement, index, data, value.Length, Transient));
        }
    }

    private void Key(nint statement, int index, string? value) =>
        Check(value is null ? Native.BindNull(statement, index) : Native.BindInt64(statement, index, LookupKey.Of(value)));

    private void Number(nint statement, int index, long? value) =>
        Check(value is { } v ? Native.BindInt64(statement, index, v) : Native.BindNull(statement, index));

    private void Check(int rc)
    {
        if (rc != raw.SQLITE_OK)
        {
            SqliteException.ThrowExceptionForRC(rc, _connection.Handle);
        }
    }

    public void Dispose()
    {
        _statement.Dispose();
        _body.Dispose();
    }

    /// <summary>The few calls of the insert loop, imported from the SQLite library SQLitePCL loaded.</summary>
    private static unsafe partial class Native
    {
        private const string Library = "e_sqlite3";

        [LibraryImport(Library, EntryPoint = "sqlite3_bind_int64")]
        public static partial int BindInt64(nint statement, int index, long value);

        [LibraryImport(Library, EntryPoint = "sqlite3_bind_null")]
        public static partial int BindNull(nint statement, int index);

        [LibraryImport(Library, EntryPoint = "sqlite3_bind_text16")]
        public static partial int BindText16(nint statement, int index, char* text, int bytes, nint destructor);

        [LibraryImport(Library, EntryPoint = "sqlite3_bind_blob")]
        public static partial int BindBlob(nint statement, int index, byte* data, int bytes, nint destructor);

        [LibraryImport(Library, EntryPoint = "sqlite3_step")]
        public static partial int Step(nint statement);

        [LibraryImport(Library, EntryPoint = "sqlite3_reset")]
        public static partial int Reset(nint statement);

        [LibraryImport(Library, EntryPoint = "sqlite3_last_insert_rowid")]
        public static partial long LastInsertRowId(nint db);
    }
}
