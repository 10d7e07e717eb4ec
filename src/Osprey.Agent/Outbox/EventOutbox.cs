using Google.Protobuf;
using Microsoft.Data.Sqlite;
using Osprey.Contracts.V1;

namespace Osprey.Agent.Outbox;

/// <summary>
/// The durable outbox (SPEC §2.4, format in docs/agent-outbox.md): every event is committed to SQLite
/// (WAL, synchronous=FULL) with its per-agent sequence number before the pipeline lets go of it, and stays
/// until the node acknowledges it. Over the age or size limit the oldest telemetry goes first, and each run
/// of dropped sequence numbers is replaced by a DataDropped record. Detections and drop records are kept
/// while any plain telemetry is left to drop. One connection, guarded by a lock: the pipeline appends, the
/// sender reads and acknowledges.
/// </summary>
public sealed partial class EventOutbox : IDisposable
{
    public const long FormatVersion = 1;

    /// <summary>Bytes counted per row beside its body (keys, row header), so many tiny events still count.</summary>
    public const int RowOverhead = 48;

    private readonly SqliteConnection _db;
    private readonly Lock _lock = new();
    private readonly Dictionary<string, SqliteCommand> _statements = new(StringComparer.Ordinal);
    private readonly OutboxLimits _limits;
    private readonly TimeProvider _time;
    private ulong _lastSequence;
    private long _bytes;
    private long _count;
    private long _droppedTotal;

    private EventOutbox(SqliteConnection db, OutboxLimits limits, TimeProvider time)
    {
        _db = db;
        _limits = limits;
        _time = time;
    }

    /// <summary>Opens (creating if needed) the outbox at <paramref name="path"/>.</summary>
    public static EventOutbox Open(string path, OutboxLimits limits, TimeProvider time)
    {
        var db = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Mode = SqliteOpenMode.ReadWriteCreate, Pooling = false }.ToString());
        db.Open();
        var outbox = new EventOutbox(db, limits, time);
        try
        {
            outbox.Initialize();
        }
        catch
        {
            db.Dispose();
            throw;
        }
        return outbox;
    }

    private void Initialize()
    {
        Execute("""
            PRAGMA journal_mode = WAL;
            PRAGMA synchronous = FULL;
            PRAGMA auto_vacuum = INCREMENTAL;
            CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;
            CREATE TABLE IF NOT EXISTS events (seq INTEGER PRIMARY KEY, time_us INTEGER NOT NULL, priority INTEGER NOT NULL, body BLOB NOT NULL);
            CREATE TABLE IF NOT EXISTS reports (id INTEGER PRIMARY KEY AUTOINCREMENT, created_us INTEGER NOT NULL, body BLOB NOT NULL);
            CREATE TABLE IF NOT EXISTS tasks (task_id TEXT PRIMARY KEY, received_us INTEGER NOT NULL, body BLOB NOT NULL) WITHOUT ROWID;
            CREATE TABLE IF NOT EXISTS task_progress (task_id TEXT PRIMARY KEY, started_us INTEGER, finished_us INTEGER) WITHOUT ROWID;
            INSERT OR IGNORE INTO meta (key, value) VALUES ('format_version', 1), ('last_sequence', 0), ('dropped_total', 0);
            """);
        var version = Scalar("SELECT value FROM meta WHERE key = 'format_version'");
        if (version != FormatVersion)
        {
            throw new OutboxCorruptException($"the outbox has format version {version}; this agent reads version {FormatVersion}");
        }
        var lastSequence = Scalar("SELECT value FROM meta WHERE key = 'last_sequence'");
        var highestStored = Scalar("SELECT coalesce(max(seq), 0) FROM events");
        if (lastSequence < highestStored)
        {
            throw new OutboxCorruptException($"the outbox's last sequence number ({lastSequence}) is below a stored event's ({highestStored})");
        }
        _lastSequence = (ulong)lastSequence;
        _droppedTotal = Scalar("SELECT value FROM meta WHERE key = 'dropped_total'");
        _count = Scalar("SELECT count(*) FROM events");
        _bytes = Scalar("SELECT coalesce(sum(length(body)), 0) FROM events") + _count * RowOverhead;
    }

    /// <summary>
    /// Gives each event the next sequence number and commits them together; when this returns they are on
    /// disk. Then applies the limits (which may drop the oldest telemetry and record the drop).
    /// </summary>
    public void Append(IReadOnlyList<Event> events)
    {
        if (events.Count == 0)
        {
            return;
        }
        lock (_lock)
        {
            var next = _lastSequence;
            long added = 0;
            using (var transaction = _db.BeginTransaction())
            {
                var insert = Statement("INSERT INTO events (seq, time_us, priority, body) VALUES ($seq, $time, $priority, $body)", transaction);
                if (insert.Parameters.Count == 0)
                {
                    insert.Parameters.Add("$seq", SqliteType.Integer);
                    insert.Parameters.Add("$time", SqliteType.Integer);
                    insert.Parameters.Add("$priority", SqliteType.Integer);
                    insert.Parameters.Add("$body", SqliteType.Blob);
                }
                var (seq, time, priority, body) = (insert.Parameters[0], insert.Parameters[1], insert.Parameters[2], insert.Parameters[3]);
                foreach (var e in events)
                {
                    e.Sequence = ++next;
                    var bytes = e.ToByteArray();
                    seq.Value = (long)e.Sequence;
                    time.Value = e.TimeUs;
                    priority.Value = IsKept(e.Type) ? 1 : 0;
                    body.Value = bytes;
                    insert.ExecuteNonQuery();
                    added += bytes.Length + RowOverhead;
                }
                SetMeta("last_sequence", (long)next, transaction);
                transaction.Commit();
            }
            _lastSequence = next;
            _count += events.Count;
            _bytes += added;
            EnforceLimits();
        }
    }

    /// <summary>Up to <paramref name="max"/> stored events after <paramref name="afterSequence"/>, in sequence order.</summary>
    public IReadOnlyList<OutboxEntry> Read(ulong afterSequence, int max)
    {
        lock (_lock)
        {
            var command = Statement("SELECT seq, body FROM events WHERE seq > $after ORDER BY seq LIMIT $max", null);
            if (command.Parameters.Count == 0)
            {
                command.Parameters.Add("$after", SqliteType.Integer);
                command.Parameters.Add("$max", SqliteType.Integer);
            }
            command.Parameters[0].Value = (long)afterSequence;
            command.Parameters[1].Value = max;
            using var reader = command.ExecuteReader();
            var entries = new List<OutboxEntry>();
            while (reader.Read())
            {
                entries.Add(new OutboxEntry((ulong)reader.GetInt64(0), (byte[])reader.GetValue(1)));
            }
            return entries;
        }
    }

    /// <summary>The node holds every event up to <paramref name="sequence"/>: they leave the outbox.</summary>
    public void Acknowledge(ulong sequence)
    {
        lock (_lock)
        {
            // The deletion commits without an fsync of its own: the next commit's fsync covers it (the WAL is one file,
            // written in order), and if a power loss undoes it the events are sent again and the node ignores them.
            Statement("PRAGMA synchronous = NORMAL", null).ExecuteNonQuery();
            try
            {
                Delete(sequence);
            }
            finally
            {
                Statement("PRAGMA synchronous = FULL", null).ExecuteNonQuery();
            }
        }
    }

    private void Delete(ulong sequence)
    {
        using var transaction = _db.BeginTransaction();
        var last = (long)Math.Min(sequence, (ulong)long.MaxValue);
        var measure = Statement("SELECT count(*), coalesce(sum(length(body)), 0) FROM events WHERE seq <= $seq", transaction);
        if (measure.Parameters.Count == 0)
        {
            measure.Parameters.Add("$seq", SqliteType.Integer);
        }
        measure.Parameters[0].Value = last;
        long count, bytes;
        using (var reader = measure.ExecuteReader())
        {
            reader.Read();
            (count, bytes) = (reader.GetInt64(0), reader.GetInt64(1));
        }
        if (count == 0)
        {
            return;
        }
        var delete = Statement("DELETE FROM events WHERE seq <= $seq", transaction);
        if (delete.Parameters.Count == 0)
        {
            delete.Parameters.Add("$seq", SqliteType.Integer);
        }
        delete.Parameters[0].Value = last;
        delete.ExecuteNonQuery();
        transaction.Commit();
        _count -= count;
        _bytes -= bytes + count * RowOverhead;
    }

    /// <summary>The sequence number of the newest stored event, without a query (the sender reads it on every wake-up).</summary>
    public ulong LastSequence
    {
        get
        {
            lock (_lock)
            {
                return _lastSequence;
            }
        }
    }

    public OutboxStatistics Statistics()
    {
        lock (_lock)
        {
            var oldest = _count == 0 ? 0 : Scalar("SELECT coalesce(min(time_us), 0) FROM events WHERE seq = (SELECT min(seq) FROM events)");
            return new OutboxStatistics(_count, _bytes, oldest, _lastSequence, _droppedTotal, Scalar("SELECT count(*) FROM reports"));
        }
    }

    /// <summary>Detections, prevention records and drop records are dropped only once no plain telemetry is left to drop.</summary>
    private static bool IsKept(EventType type) => type is EventType.DataDropped or EventType.ThreatDetected
        or EventType.ExecutionBlocked or EventType.DocumentBlocked or EventType.AgentLifecycle;

    private void SetMeta(string key, long value, SqliteTransaction transaction)
    {
        var command = Statement("UPDATE meta SET value = $value WHERE key = $key", transaction);
        if (command.Parameters.Count == 0)
        {
            command.Parameters.Add("$key", SqliteType.Text);
            command.Parameters.Add("$value", SqliteType.Integer);
        }
        command.Parameters[0].Value = key;
        command.Parameters[1].Value = value;
        command.ExecuteNonQuery();
    }

    /// <summary>
    /// A command kept for the outbox's life, so its statement is prepared once: every commit runs the same few, and
    /// preparing them again each time was most of a small commit's work. Used under the lock.
    /// </summary>
    private SqliteCommand Statement(string sql, SqliteTransaction? transaction)
    {
        if (!_statements.TryGetValue(sql, out var command))
        {
            command = _db.CreateCommand();
            command.CommandText = sql;
            _statements[sql] = command;
        }
        command.Transaction = transaction;
        return command;
    }

    private long Scalar(string sql)
    {
        using var command = _db.CreateCommand();
        command.CommandText = sql;
        return Convert.ToInt64(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
    }

    private void Execute(string sql)
    {
        using var command = _db.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    public void Dispose()
    {
        foreach (var command in _statements.Values)
        {
            command.Dispose();
        }
        _db.Dispose();
    }
}

/// <summary>What the outbox holds: events waiting, their size, the oldest one's time, and drop totals.</summary>
public sealed record OutboxStatistics(long Depth, long Bytes, long OldestTimeUs, ulong LastSequence, long DroppedTotal, long ReportsWaiting);
