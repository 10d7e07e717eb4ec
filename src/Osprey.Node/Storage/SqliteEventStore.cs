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
/// The events are spread over several database files (shards), each with its own writer task that owns its write
/// connection and commits several batches per transaction (group commit): one SQLite writer was the ingest limit,
/// and a second one on its own file runs beside it. An agent's events always go to the same shard (by a hash of its
/// ID), so its deduplication ranges have a single writer. Readers use pooled connections (WAL) with every shard
/// attached and read a day from all shards at once.
/// </summary>
public sealed partial class SqliteEventStore : IEventStore
{
    /// <summary>Writers (database files) of a new store, unless the node's settings say otherwise.</summary>
    public const int DefaultWriters = 2;

    /// <summary>Most writers a store can have (SQLite attaches at most ten databases to a connection).</summary>
    public const int MaxWriters = 8;

    private readonly string _path;
    private readonly int _writers;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Dictionary<string, SequenceRanges> _ranges = new(StringComparer.Ordinal);
    private readonly Lock _rangesLock = new();
    private readonly Lock _partitionsLock = new();
    private Shard[] _shards = [];
    private readonly CancellationTokenSource _stopping = new();

    /// <param name="path">The first shard's file (events.db); further shards sit beside it as events-1.db, events-2.db, ….</param>
    /// <param name="writers">
    /// Shards for a new store. A store that already has more shard files keeps them all (agents are routed by the
    /// number of shards, so it never shrinks).
    /// </param>
    public SqliteEventStore(string path, TimeProvider time, ILogger<SqliteEventStore> logger, int writers = DefaultWriters)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(writers, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(writers, MaxWriters);
        _path = path;
        _writers = writers;
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
        var count = _writers;
        while (count < MaxWriters && File.Exists(ShardPath(_path, count)))
        {
            count++;
        }
        _shards = [.. Enumerable.Range(0, count).Select(i => new Shard(i, ShardPath(_path, i)))];
        foreach (var shard in _shards)
        {
            OpenShard(shard);
        }
        foreach (var shard in _shards)
        {
            shard.WriterTask = Task.Run(() => WriteLoopAsync(shard));
            shard.CheckpointTask = Task.Run(() => CheckpointLoopAsync(shard));
        }
    }

    /// <summary>The file of shard <paramref name="index"/>: the store's own path for the first, a numbered sibling for the others.</summary>
    internal static string ShardPath(string path, int index) =>
        index == 0 ? path : Path.Combine(Path.GetDirectoryName(path) ?? ".", $"{Path.GetFileNameWithoutExtension(path)}-{index}{Path.GetExtension(path)}");

    /// <summary>
    /// Opens a shard's writer, loads its agents' sequence ranges and migrates its day tables. An agent's ranges found
    /// in several shards (the shard count grew) are merged: ranges only grow, and the agent's shard saves the union
    /// with its next batch.
    /// </summary>
    private void OpenShard(Shard shard)
    {
        var writer = shard.Writer = SqliteConnections.Open(shard.Path, CreationPragmas);
        Execute(writer, WriterPragmas);
        Execute(writer, """
            CREATE TABLE IF NOT EXISTS ingest_ranges (
                agent_id TEXT NOT NULL, first INTEGER NOT NULL, last INTEGER NOT NULL, PRIMARY KEY (agent_id, first)) WITHOUT ROWID;
            """);
        using (var command = writer.CreateCommand())
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
        shard.Partitions = new SortedSet<string>(ReadPartitions(writer), StringComparer.Ordinal);
        foreach (var partition in shard.Partitions)
        {
            SplitBodies(writer, partition);
            AddLookupKeys(writer, partition);
        }
    }

    /// <summary>The shard that stores an agent's events, fixed by its ID and the number of shards.</summary>
    private Shard ShardOf(string agentId) => _shards[(int)((ulong)LookupKey.Of(agentId) % (ulong)_shards.Length)];

    public ulong AckedSequence(string agentId)
    {
        lock (_rangesLock)
        {
            return _ranges.TryGetValue(agentId, out var ranges) ? ranges.Acked : 0;
        }
    }

    /// <summary>The days held, in any shard, oldest first.</summary>
    public IReadOnlyList<string> Partitions()
    {
        lock (_partitionsLock)
        {
            return [.. _shards.SelectMany(s => s.Partitions).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)];
        }
    }

    /// <summary>
    /// The tables of one day, one per shard that has it, as a reader connection names them (the first shard is the
    /// connection's main database; the others are attached as shard1, shard2, …).
    /// </summary>
    internal IReadOnlyList<string> TablesOf(string partition)
    {
        var tables = new List<string>(_shards.Length);
        lock (_partitionsLock)
        {
            foreach (var shard in _shards)
            {
                if (shard.Partitions.Contains(partition))
                {
                    tables.Add(shard.Index == 0 ? partition : $"{shard.Schema}.{partition}");
                }
            }
        }
        return tables;
    }

    /// <summary>A pooled read connection with every shard attached (a pooled connection keeps what it attached before).</summary>
    private SqliteConnection OpenReader()
    {
        var connection = SqliteConnections.Open(_path);
        if (_shards.Length == 1)
        {
            return connection;
        }
        var attached = new HashSet<string>(StringComparer.Ordinal);
        using (var list = connection.CreateCommand())
        {
            list.CommandText = "SELECT name FROM pragma_database_list";
            using var reader = list.ExecuteReader();
            while (reader.Read())
            {
                attached.Add(reader.GetString(0));
            }
        }
        foreach (var shard in _shards.Skip(1).Where(s => !attached.Contains(s.Schema)))
        {
            using var attach = connection.CreateCommand();
            attach.CommandText = $"ATTACH DATABASE $path AS {shard.Schema}";
            attach.Parameters.AddWithValue("$path", shard.Path);
            attach.ExecuteNonQuery();
        }
        return connection;
    }

    /// <summary>Copies committed WAL frames into the database every second (PASSIVE: never blocks the writer).</summary>
    private async Task CheckpointLoopAsync(Shard shard)
    {
        await using var connection = SqliteConnections.Open(shard.Path);
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
    private void SplitBodies(SqliteConnection writer, string partition)
    {
        using (var probe = writer.CreateCommand())
        {
            probe.CommandText = $"SELECT count(*) FROM pragma_table_info('{partition}') WHERE name = 'body'";
            if ((long)probe.ExecuteScalar()! == 0)
            {
                return;
            }
        }
        using var transaction = writer.BeginTransaction();
        Execute(writer, $"""
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
    private void AddLookupKeys(SqliteConnection writer, string partition)
    {
        using (var probe = writer.CreateCommand())
        {
            probe.CommandText = $"SELECT count(*) FROM pragma_table_info('{partition}') WHERE name = 'upid_key'";
            if ((long)probe.ExecuteScalar()! > 0)
            {
                return;
            }
        }
        writer.CreateFunction<string?, long?>("osprey_lookup_key", v => v is null ? null : LookupKey.Of(v), isDeterministic: true);
        using var transaction = writer.BeginTransaction();
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
        Execute(writer, sql.ToString(), transaction);
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
        foreach (var shard in _shards)
        {
            shard.Queue.Writer.TryComplete();
        }
        foreach (var shard in _shards)
        {
            if (shard.WriterTask is not null)
            {
                await shard.WriterTask.ConfigureAwait(false);
            }
        }
        await _stopping.CancelAsync().ConfigureAwait(false);
        foreach (var shard in _shards)
        {
            if (shard.CheckpointTask is not null)
            {
                await shard.CheckpointTask.ConfigureAwait(false);
            }
            foreach (var statement in shard.Inserts.Values)
            {
                statement.Dispose();
            }
            if (shard.Writer is not null)
            {
                await shard.Writer.DisposeAsync().ConfigureAwait(false);
            }
        }
        _stopping.Dispose();
    }

    private sealed record IngestWork(string AgentId, IReadOnlyList<Event> Events, StoredEvent[] Rows, TaskCompletionSource<IngestResult> Completion);

    /// <summary>One database file with its writer: the queue of batches, the write connection and its prepared inserts.</summary>
    private sealed class Shard(int index, string path)
    {
        public int Index { get; } = index;
        public string Path { get; } = path;

        /// <summary>The name a reader connection attaches this shard under.</summary>
        public string Schema { get; } = index == 0 ? "main" : $"shard{index}";

        public Channel<IngestWork> Queue { get; } = Channel.CreateBounded<IngestWork>(
            new BoundedChannelOptions(256) { FullMode = BoundedChannelFullMode.Wait, SingleReader = true });

        public SqliteConnection? Writer { get; set; }

        /// <summary>The day tables in this shard's file (guarded by the store's partitions lock, replaced whole).</summary>
        public SortedSet<string> Partitions { get; set; } = new(StringComparer.Ordinal);

        public Dictionary<string, EventInsertStatement> Inserts { get; } = new(StringComparer.Ordinal);

        /// <summary>Day tables created by the transaction in progress; readers see them only once it commits.</summary>
        public HashSet<string> Created { get; } = new(StringComparer.Ordinal);

        public Task? WriterTask { get; set; }
        public Task? CheckpointTask { get; set; }
    }
}
