using System.Globalization;
using Google.Protobuf;
using Microsoft.Data.Sqlite;
using Osprey.Contracts.V1;
using Osprey.Detection.Hunting;
using Osprey.Node.Ingest;

namespace Osprey.Node.Storage;

public sealed partial class SqliteEventStore
{
    /// <summary>How far past the highest held sequence a batch may reach; beyond it the batch is refused.</summary>
    public const ulong MaxSequenceJump = 1UL << 24;

    private const int MaxWorksPerCommit = 64;
    private const int MaxEventsPerCommit = 50_000;

    /// <summary>The typed columns of a day table, in insert order (the serialized event goes to its body table).</summary>
    internal const string InsertColumns =
        "event_id, agent_id, seq, event_type, event_time, host, host_ip, user_name, unique_pid, parent_unique_pid, pid, " +
        "process_name, process_path, command_line, file_path, file_name, md5, sha256, local_ip, local_port, remote_ip, " +
        "remote_port, protocol, dns_name, upid_key, ppid_key, md5_key, sha256_key";

    /// <summary>The columns a search returns from <see cref="Source"/>: the typed ones and the payload JSON (computed, not stored).</summary>
    internal const string Columns =
        "event_id, agent_id, seq, event_type, event_time, host, host_ip, user_name, unique_pid, parent_unique_pid, pid, " +
        "process_name, process_path, command_line, file_path, file_name, md5, sha256, local_ip, local_port, remote_ip, " +
        "remote_port, protocol, dns_name, attrs";

    public async Task<IngestResult> IngestAsync(string agentId, ReceivedBatch batch, CancellationToken cancellationToken)
    {
        // Rows are built on the caller's thread so the single writer only inserts.
        var events = batch.Events;
        var rows = new StoredEvent[events.Count];
        for (var i = 0; i < rows.Length; i++)
        {
            rows[i] = EventColumns.Extract(events[i], agentId, batch.Bodies[i]);
        }
        var work = new IngestWork(agentId, events, rows, new TaskCompletionSource<IngestResult>(TaskCreationOptions.RunContinuationsAsynchronously));
        await ShardOf(agentId).Queue.Writer.WriteAsync(work, cancellationToken).ConfigureAwait(false);
        // Once queued the batch is committed or failed as a whole; the caller waits for that outcome.
        return await work.Completion.Task.ConfigureAwait(false);
    }

    private async Task WriteLoopAsync(Shard shard)
    {
        var works = new List<IngestWork>(MaxWorksPerCommit);
        var reader = shard.Queue.Reader;
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            works.Clear();
            var events = 0;
            while (works.Count < MaxWorksPerCommit && events < MaxEventsPerCommit && reader.TryRead(out var work))
            {
                works.Add(work);
                events += work.Events.Count;
            }
            CommitGroup(shard, works);
        }
    }

    private void CommitGroup(Shard shard, List<IngestWork> works)
    {
        var results = new IngestResult[works.Count];
        var working = new Dictionary<string, SequenceRanges>(StringComparer.Ordinal);
        shard.Created.Clear();
        try
        {
            using var transaction = shard.Writer!.BeginTransaction();
            for (var i = 0; i < works.Count; i++)
            {
                results[i] = Store(shard, works[i], working, transaction);
            }
            foreach (var (agentId, ranges) in working)
            {
                SaveRanges(shard.Writer, agentId, ranges, transaction);
            }
            transaction.Commit();
        }
        catch (Exception e)
        {
            // Whatever went wrong, the transaction rolled back: fail these batches (agents resend them)
            // and keep the writer alive for the next ones.
            LogCommitFailed(_logger, works.Count, e);
            foreach (var work in works)
            {
                work.Completion.TrySetException(new IOException($"the events database could not store the batch: {e.Message}", e));
            }
            return;
        }
        lock (_rangesLock)
        {
            foreach (var (agentId, ranges) in working)
            {
                _ranges[agentId] = ranges;
            }
        }
        if (shard.Created.Count > 0)
        {
            lock (_partitionsLock)
            {
                shard.Partitions = new SortedSet<string>(shard.Partitions.Concat(shard.Created), StringComparer.Ordinal);
            }
        }
        for (var i = 0; i < works.Count; i++)
        {
            works[i].Completion.TrySetResult(results[i]);
        }
    }

    private IngestResult Store(Shard shard, IngestWork work, Dictionary<string, SequenceRanges> working, SqliteTransaction transaction)
    {
        if (!working.TryGetValue(work.AgentId, out var ranges))
        {
            lock (_rangesLock)
            {
                ranges = _ranges.TryGetValue(work.AgentId, out var held) ? held.Clone() : new SequenceRanges();
            }
        }
        // Sequences increase within a batch, so the last one is the furthest ahead.
        if (work.Events.Count > 0 && work.Events[^1].Sequence > ranges.Highest + MaxSequenceJump)
        {
            return IngestResult.Rejected(
                $"sequence {work.Events[^1].Sequence} is out of range: the node holds up to {ranges.Highest} for this agent and accepts at most {MaxSequenceJump} beyond it");
        }
        working[work.AgentId] = ranges;
        var nowUs = _time.GetUtcNow().ToUnixTimeMilliseconds() * 1000;
        int stored = 0, duplicates = 0;
        for (var i = 0; i < work.Events.Count; i++)
        {
            var e = work.Events[i];
            if (ranges.Contains(e.Sequence))
            {
                duplicates++;
                continue;
            }
            Insert(shard, PartitionFor(shard, e.TimeUs, nowUs, transaction), work.Rows[i]);
            ranges.Add(e.Sequence);
            if (e.PayloadCase == Event.PayloadOneofCase.DataDropped)
            {
                ranges.Add(e.DataDropped.FirstSequence, e.DataDropped.LastSequence);
            }
            stored++;
        }
        return new IngestResult(ranges.Acked, stored, duplicates, null);
    }

    private static void SaveRanges(SqliteConnection writer, string agentId, SequenceRanges ranges, SqliteTransaction transaction)
    {
        using var delete = writer.CreateCommand();
        delete.Transaction = transaction;
        delete.CommandText = "DELETE FROM ingest_ranges WHERE agent_id = $agent";
        delete.Parameters.AddWithValue("$agent", agentId);
        delete.ExecuteNonQuery();
        using var insert = writer.CreateCommand();
        insert.Transaction = transaction;
        insert.CommandText = "INSERT INTO ingest_ranges(agent_id, first, last) VALUES ($agent, $first, $last)";
        var agent = insert.Parameters.AddWithValue("$agent", agentId);
        var first = insert.Parameters.Add("$first", SqliteType.Integer);
        var last = insert.Parameters.Add("$last", SqliteType.Integer);
        foreach (var range in ranges.Ranges)
        {
            first.Value = (long)range.First;
            last.Value = (long)range.Last;
            insert.ExecuteNonQuery();
        }
    }

    /// <summary>The day table for an event; events dated implausibly far from now go to today's table.</summary>
    private string PartitionFor(Shard shard, long eventTimeUs, long nowUs, SqliteTransaction transaction)
    {
        const long OneDayUs = 86_400_000_000L;
        var minUs = 946_684_800_000_000L; // 2000-01-01
        var timeUs = eventTimeUs < minUs || eventTimeUs > nowUs + OneDayUs ? nowUs : eventTimeUs;
        var name = PartitionName(DateTimeOffset.FromUnixTimeMilliseconds(timeUs / 1000));
        if (shard.Created.Contains(name))
        {
            return name;
        }
        lock (_partitionsLock)
        {
            if (shard.Partitions.Contains(name))
            {
                return name;
            }
        }
        Execute(shard.Writer!, PartitionDdl(name), transaction);
        shard.Created.Add(name);
        return name;
    }

    internal static string PartitionName(DateTimeOffset day) =>
        "events_" + day.UtcDateTime.ToString("yyyyMMdd", CultureInfo.InvariantCulture);

    /// <summary>
    /// A day table holds the typed columns only; the serialized event is in its body table under the same id. Rows
    /// stay narrow (about a fifth of the event), so a scan that filters on columns (a substring in command lines)
    /// reads a fifth of the pages, and the body is read only for the rows a search returns or a payload term tests.
    /// </summary>
    internal static string PartitionDdl(string name) => $"""
        CREATE TABLE IF NOT EXISTS {name} (
            id INTEGER PRIMARY KEY,
            event_id TEXT NOT NULL, agent_id TEXT NOT NULL COLLATE NOCASE, seq INTEGER NOT NULL,
            event_type TEXT NOT NULL COLLATE NOCASE, event_time INTEGER NOT NULL,
            host TEXT COLLATE NOCASE, host_ip TEXT COLLATE NOCASE, user_name TEXT COLLATE NOCASE,
            unique_pid TEXT COLLATE NOCASE, parent_unique_pid TEXT COLLATE NOCASE, pid INTEGER,
            process_name TEXT COLLATE NOCASE, process_path TEXT COLLATE NOCASE, command_line TEXT COLLATE NOCASE,
            file_path TEXT COLLATE NOCASE, file_name TEXT COLLATE NOCASE, md5 TEXT COLLATE NOCASE, sha256 TEXT COLLATE NOCASE,
            local_ip TEXT COLLATE NOCASE, local_port INTEGER, remote_ip TEXT COLLATE NOCASE, remote_port INTEGER,
            protocol TEXT COLLATE NOCASE, dns_name TEXT COLLATE NOCASE,
            upid_key INTEGER, ppid_key INTEGER, md5_key INTEGER, sha256_key INTEGER);
        CREATE TABLE IF NOT EXISTS {BodyTable(name)} (id INTEGER PRIMARY KEY, body BLOB NOT NULL);
        CREATE INDEX IF NOT EXISTS {name}_time ON {name}(event_time);
        {KeyIndexDdl(name)}
        CREATE INDEX IF NOT EXISTS {name}_host_time ON {name}(host, event_time);
        """;

    /// <summary>The text columns looked up by their <see cref="LookupKey"/>, each with its key column, as the hunting schema names them.</summary>
    internal static readonly (string Column, string KeyColumn)[] KeyedColumns =
        [.. EventsSchema.KeyedFields.Select(f => (f.Column!, f.KeyColumn!))];

    /// <summary>
    /// Hashes and UniquePIDs are found through indexes on their integer lookup keys, not on their text (see
    /// <see cref="LookupKey"/>): random 64-character keys made these four indexes cost as much as the rest of the insert.
    /// </summary>
    internal static string KeyIndexDdl(string name) => string.Join(
        Environment.NewLine,
        KeyedColumns.Select(k => $"CREATE INDEX IF NOT EXISTS {name}_{k.KeyColumn} ON {name}({k.KeyColumn}) WHERE {k.KeyColumn} IS NOT NULL;"));

    /// <summary>The table of a day's serialized events, keyed by the day table's id.</summary>
    internal static string BodyTable(string partition) => partition + "_body";

    /// <summary>
    /// A day table as queries read it: every column plus <c>attrs</c>, the payload as JSON from the body table.
    /// SQLite flattens the subquery, so indexes still apply; terms on the typed columns are tested before the body
    /// is looked up, and a query that never names <c>attrs</c> (a count on typed columns) drops the join altogether
    /// (a LEFT JOIN on the body table's primary key that nothing reads). The JSON is computed only for rows whose
    /// other terms matched. (A generated column would do the same for reads, but SQLite computes generated
    /// columns on every insert.)
    /// </summary>
    internal static string Source(string partition) =>
        $"(SELECT e.*, osprey_payload(b.body) AS attrs FROM {partition} AS e LEFT JOIN {BodyTable(partition)} AS b ON b.id = e.id)";

    private static void Insert(Shard shard, string partition, StoredEvent row)
    {
        if (!shard.Inserts.TryGetValue(partition, out var statement))
        {
            shard.Inserts[partition] = statement = new EventInsertStatement(shard.Writer!, partition);
        }
        statement.Insert(row);
    }
}
