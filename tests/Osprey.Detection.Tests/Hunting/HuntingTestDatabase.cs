using Microsoft.Data.Sqlite;
using Osprey.Detection.Hunting;

namespace Osprey.Detection.Tests.Hunting;

/// <summary>A real in-memory SQLite events table, shaped like the node's, that runs compiled hunting queries.</summary>
internal sealed class HuntingTestDatabase : IDisposable
{
    private const string CreateTable = """
        CREATE TABLE events (
            event_id TEXT NOT NULL PRIMARY KEY COLLATE NOCASE,
            agent_id TEXT COLLATE NOCASE,
            seq INTEGER,
            event_type TEXT NOT NULL COLLATE NOCASE,
            event_time INTEGER,
            host TEXT COLLATE NOCASE,
            host_ip TEXT COLLATE NOCASE,
            user_name TEXT COLLATE NOCASE,
            unique_pid TEXT COLLATE NOCASE,
            parent_unique_pid TEXT COLLATE NOCASE,
            pid INTEGER,
            process_name TEXT COLLATE NOCASE,
            process_path TEXT COLLATE NOCASE,
            command_line TEXT COLLATE NOCASE,
            file_path TEXT COLLATE NOCASE,
            file_name TEXT COLLATE NOCASE,
            md5 TEXT COLLATE NOCASE,
            sha256 TEXT COLLATE NOCASE,
            local_ip TEXT COLLATE NOCASE,
            local_port INTEGER,
            remote_ip TEXT COLLATE NOCASE,
            remote_port INTEGER,
            protocol TEXT COLLATE NOCASE,
            dns_name TEXT COLLATE NOCASE,
            attrs TEXT,
            upid_key INTEGER,
            ppid_key INTEGER,
            md5_key INTEGER,
            sha256_key INTEGER
        );
        CREATE INDEX events_event_type ON events (event_type);
        CREATE INDEX events_command_line ON events (command_line);
        """;

    private static readonly string[] Columns =
    [
        "event_id", "agent_id", "seq", "event_type", "event_time", "host", "host_ip", "user_name", "unique_pid",
        "parent_unique_pid", "pid", "process_name", "process_path", "command_line", "file_path", "file_name", "md5",
        "sha256", "local_ip", "local_port", "remote_ip", "remote_port", "protocol", "dns_name", "attrs",
        "upid_key", "ppid_key", "md5_key", "sha256_key",
    ];

    private HuntingTestDatabase(IHuntingSchema schema)
    {
        Connection = new SqliteConnection("Data Source=:memory:");
        Connection.Open();
        Compiler = new HuntingQueryCompiler(schema, SqliteDialect.Instance);
        using var command = Connection.CreateCommand();
        command.CommandText = CreateTable;
        command.ExecuteNonQuery();
    }

    public SqliteConnection Connection { get; }

    public HuntingQueryCompiler Compiler { get; }

    /// <summary>A database holding <see cref="SampleEvents.All"/>.</summary>
    public static HuntingTestDatabase WithSampleEvents(IHuntingSchema? schema = null)
    {
        var database = new HuntingTestDatabase(schema ?? EventsSchema.Default);
        foreach (var row in SampleEvents.All)
        {
            database.Insert(row);
        }

        return database;
    }

    /// <summary>An empty database.</summary>
    public static HuntingTestDatabase Empty(IHuntingSchema? schema = null) => new(schema ?? EventsSchema.Default);

    public void Insert(EventRow row)
    {
        object?[] values =
        [
            row.EventId, row.AgentId, row.Sequence, row.EventType, row.EventTime, row.Host, row.HostIp, row.UserName,
            row.UniquePid, row.ParentUniquePid, row.Pid, row.ProcessName, row.ProcessPath, row.CommandLine, row.FilePath,
            row.FileName, row.Md5, row.Sha256, row.LocalIp, row.LocalPort, row.RemoteIp, row.RemotePort, row.Protocol,
            row.DnsName, row.Attrs,
            Key(row.UniquePid), Key(row.ParentUniquePid), Key(row.Md5), Key(row.Sha256),
        ];
        using var command = Connection.CreateCommand();
        command.CommandText = $"INSERT INTO events ({string.Join(", ", Columns)}) VALUES ({string.Join(", ", Columns.Select(c => "$" + c))})";
        for (var i = 0; i < Columns.Length; i++)
        {
            command.Parameters.AddWithValue("$" + Columns[i], values[i] ?? DBNull.Value);
        }

        command.ExecuteNonQuery();
    }

    /// <summary>The lookup key the node stores beside a keyed text column (the compiler tests it before the text).</summary>
    private static long? Key(string? value) => value is null ? null : LookupKey.Of(value);

    /// <summary>The IDs of the events <paramref name="query"/> matches, in ID order.</summary>
    public string[] Match(string query) => Run(Compiler.Compile(query), "event_id");

    /// <summary>The IDs of the events a compiled condition matches, in ID order.</summary>
    public string[] Run(CompiledSql compiled, string orderBy = "event_id")
    {
        using var command = Connection.CreateCommand();
        command.CommandText = $"SELECT event_id FROM events WHERE {compiled.Where} ORDER BY {orderBy}";
        foreach (var (name, value) in compiled.Parameters)
        {
            command.Parameters.AddWithValue(name, value);
        }

        using var reader = command.ExecuteReader();
        var ids = new List<string>();
        while (reader.Read())
        {
            ids.Add(reader.GetString(0));
        }

        return [.. ids];
    }

    /// <summary>The IDs of the events <paramref name="query"/> matches, in the order <paramref name="sort"/> compiles to.</summary>
    public string[] MatchSorted(string query, string? sort) => Run(Compiler.Compile(query), Compiler.CompileOrderBy(sort));

    public long CountRows()
    {
        using var command = Connection.CreateCommand();
        command.CommandText = "SELECT count(*) FROM events";
        return (long)command.ExecuteScalar()!;
    }

    public void Dispose() => Connection.Dispose();
}
