using System.Globalization;
using System.Threading.Channels;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;
using Osprey.Contracts.V1;
using Osprey.Detection.Hunting;
using Osprey.Node.Ingest;

namespace Osprey.Node.Storage;

/// <summary>
/// IEventStore on embedded SQLite: one table per UTC day (events_yyyyMMdd) so retention drops a table.
/// One writer task owns the write connection and commits several batches per transaction (group commit);
/// readers use pooled connections beside it (WAL).
/// </summary>
public sealed partial class SqliteEventStore : IEventStore
{
    private readonly string _path;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Channel<IngestWork> _queue = Channel.CreateBounded<IngestWork>(
        new BoundedChannelOptions(256) { FullMode = BoundedChannelFullMode.Wait, SingleReader = true });
    private readonly Dictionary<string, SequenceRanges> _ranges = new(StringComparer.Ordinal);
    private readonly Lock _rangesLock = new();
    private readonly Lock _partitionsLock = new();
    private SortedSet<string> _partitions = new(StringComparer.Ordinal);
    private SqliteConnection? _writer;
    private Task? _writerTask;
    private Task? _checkpointTask;
    private readonly CancellationTokenSource _stopping = new();

    public SqliteEventStore(string path, TimeProvider time, ILogger<SqliteEventStore> logger)
    {
        _path = path;
        _time = time;
        _logger = logger;
    }

    /// <summary>Rows are large (the whole event is kept): 8 KiB pages hold them without overflow chains.</summary>
    internal const string CreationPragmas = "PRAGMA page_size = 8192; PRAGMA auto_vacuum = INCREMENTAL;";

    /// <summary>
    /// The writer keeps the hot index pages in memory (hash and UniquePID indexes take random inserts).
    /// A background connection copies WAL frames into the database every second; the writer's own
    /// checkpoint, at 16,384 pages (128 MiB), then finds little left to copy and lets the WAL start over,
    /// which a background checkpoint alone never can under continuous writes. The WAL file is trimmed to
    /// 256 MiB when it restarts.
    /// </summary>
    internal const string WriterPragmas = "PRAGMA cache_size = -262144; PRAGMA wal_autocheckpoint = 16384; PRAGMA journal_size_limit = 268435456;";

    public void Initialize()
    {
        _writer = SqliteConnections.Open(_path, CreationPragmas);
        Execute(_writer, WriterPragmas);
        Execute(_writer, """
            CREATE TABLE IF NOT EXISTS ingest_ranges (
                agent_id TEXT NOT NULL, first INTEGER NOT NULL, last INTEGER NOT NULL, PRIMARY KEY (agent_id, first)) WITHOUT ROWID;
            """);
        using (var command = _writer.CreateCommand())
        {
            command.CommandText = "SELECT agent_id, first, last FROM ingest_ranges ORDER BY agent_id, first";
            using var reader = command.ExecuteReader();
            while (reader.Read())
            {
                var agentId = reader.GetString(0);
                if (!_ranges.TryGetValue(agentId, out var ranges))
                {
                    _ranges[agentId] = ranges = new SequenceRanges();
                }
                ranges.Add((ulong)reader.GetInt64(1), (ulong)reader.GetInt64(2));
            }
        }
        _partitions = new SortedSet<string>(ReadPartitions(_writer), StringComparer.Ordinal);
        foreach (var partition in _partitions)
        {
            SplitBodies(partition);
            AddLookupKeys(partition);
        }
        _writerTask = Task.Run(WriteLoopAsync);
        _checkpointTask = Task.Run(CheckpointLoopAsync);
    }

    public ulong AckedSequence(string agentId)
    {
        lock (_rangesLock)
        {
            return _ranges.TryGetValue(agentId, out var ranges) ? ranges.Acked : 0;
        }
    }

    public IReadOnlyList<string> Partitions()
    {
        lock (_partitionsLock)
        {
            return [.. _partitions];
        }
    }

    /// <summary>Copies committed WAL frames into the database every second (PASSIVE: never blocks the writer).</summary>
    private async Task CheckpointLoopAsync()
    {
        await using var connection = SqliteConnections.Open(_path);
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1), _time);
        try
        {
            while (await timer.WaitForNextTickAsync(_stopping.Token).ConfigureAwait(false))
            {
                Execute(connection, "PRAGMA wal_checkpoint(PASSIVE);");
            }
        }
        catch (OperationCanceledException)
        {
        }
        Execute(connection, "PRAGMA wal_checkpoint(TRUNCATE);");
    }

    /// <summary>
    /// A day table written by an earlier build keeps the serialized event in its own <c>body</c> column: moves the
    /// bodies to the body table and drops the column, in one transaction (a crash leaves the table as it was).
    /// </summary>
    private void SplitBodies(string partition)
    {
        using (var probe = _writer!.CreateCommand())
        {
            probe.CommandText = $"SELECT count(*) FROM pragma_table_info('{partition}') WHERE name = 'body'";
            if ((long)probe.ExecuteScalar()! == 0)
            {
                return;
            }
        }
        using var transaction = _writer.BeginTransaction();
        Execute(_writer, $"""
            CREATE TABLE IF NOT EXISTS {BodyTable(partition)} (id INTEGER PRIMARY KEY, body BLOB NOT NULL);
            INSERT INTO {BodyTable(partition)} (id, body) SELECT id, body FROM {partition};
            ALTER TABLE {partition} DROP COLUMN body;
            """, transaction);
        transaction.Commit();
        LogPartitionMigrated(_logger, partition);
    }

    /// <summary>
    /// A day table written by an earlier build indexes hashes and UniquePIDs by their text: adds the lookup-key
    /// columns, fills them, and swaps the indexes, in one transaction (a crash leaves the table as it was).
    /// </summary>
    private void AddLookupKeys(string partition)
    {
        using (var probe = _writer!.CreateCommand())
        {
            probe.CommandText = $"SELECT count(*) FROM pragma_table_info('{partition}') WHERE name = 'upid_key'";
            if ((long)probe.ExecuteScalar()! > 0)
            {
                return;
            }
        }
        _writer.CreateFunction<string?, long?>("osprey_lookup_key", v => v is null ? null : LookupKey.Of(v), isDeterministic: true);
        using var transaction = _writer.BeginTransaction();
        var sql = new System.Text.StringBuilder();
        foreach (var (_, key) in KeyedColumns)
        {
            sql.AppendLine(CultureInfo.InvariantCulture, $"ALTER TABLE {partition} ADD COLUMN {key} INTEGER;");
        }
        sql.AppendLine(CultureInfo.InvariantCulture, $"UPDATE {partition} SET {string.Join(", ", KeyedColumns.Select(k => $"{k.KeyColumn} = osprey_lookup_key({k.Column})"))};");
        foreach (var old in new[] { "upid", "ppid", "md5", "sha256" })
        {
            sql.AppendLine(CultureInfo.InvariantCulture, $"DROP INDEX IF EXISTS {partition}_{old};");
        }
        sql.AppendLine(KeyIndexDdl(partition));
        Execute(_writer, sql.ToString(), transaction);
        transaction.Commit();
        LogPartitionKeyed(_logger, partition);
    }

    private static List<string> ReadPartitions(SqliteConnection connection)
    {
        var names = new List<string>();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT name FROM sqlite_master WHERE type = 'table' AND name GLOB 'events_[0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9]'";
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            names.Add(reader.GetString(0));
        }
        return names;
    }

    private static void Execute(SqliteConnection connection, string sql, SqliteTransaction? transaction = null)
    {
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        if (_writerTask is not null)
        {
            await _writerTask.ConfigureAwait(false);
        }
        await _stopping.CancelAsync().ConfigureAwait(false);
        if (_checkpointTask is not null)
        {
            await _checkpointTask.ConfigureAwait(false);
        }
        _stopping.Dispose();
        foreach (var statement in _inserts.Values)
        {
            statement.Dispose();
        }
        if (_writer is not null)
        {
            await _writer.DisposeAsync().ConfigureAwait(false);
        }
    }

    private sealed record IngestWork(string AgentId, IReadOnlyList<Event> Events, StoredEvent[] Rows, TaskCompletionSource<IngestResult> Completion);
}
