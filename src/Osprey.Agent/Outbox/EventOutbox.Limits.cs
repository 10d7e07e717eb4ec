using Osprey.Contracts.V1;

namespace Osprey.Agent.Outbox;

public sealed partial class EventOutbox
{
    private const int WalkChunk = 4096;

    /// <summary>Room kept for each drop record (about 200 bytes with its row overhead), so the records fit under the size cap too.</summary>
    private const int DropRecordReserve = 256;

    /// <summary>A run of consecutive sequence numbers dropped together, summarised by one DataDropped record.</summary>
    private sealed record DroppedRun(ulong First, ulong Last, long Count, long FirstTimeUs, long LastTimeUs, long Bytes);

    /// <summary>Over the size cap, the outbox drops down to this share of it, so drops come in a few large runs rather
    /// than a few events (and one more drop record) with every append.</summary>
    private const double LowWaterMark = 0.9;

    /// <summary>
    /// Over the size or age limit: walks from the oldest event, dropping plain telemetry (and, when nothing
    /// else is left, kept records too) until the outbox is back inside both limits (under the size cap, down to
    /// <see cref="LowWaterMark"/> of it). Runs are split where a
    /// kept event sits between dropped ones, so a drop record never claims an event that is still delivered.
    /// </summary>
    private void EnforceLimits()
    {
        var cutoffUs = _time.GetUtcNow().ToUnixTimeMilliseconds() * 1000 - (long)_limits.MaxAge.TotalMicroseconds;
        if (_bytes <= _limits.MaxBytes && HeadTimeUs() >= cutoffUs)
        {
            return;
        }
        var target = _bytes > _limits.MaxBytes ? (long)(_limits.MaxBytes * LowWaterMark) : _limits.MaxBytes;
        var runs = Walk(cutoffUs, target, includeKept: false);
        if (_bytes - runs.Sum(r => r.Bytes) + runs.Count * DropRecordReserve > _limits.MaxBytes)
        {
            runs = Walk(cutoffUs, target, includeKept: true);
        }
        if (runs.Count > 0)
        {
            CommitDrops(runs, "the outbox reached its " + (_bytes > _limits.MaxBytes ? $"size limit of {_limits.MaxBytes} bytes" : $"age limit of {_limits.MaxAge.TotalDays:0.#} days"));
        }
    }

    private long HeadTimeUs() => _count == 0
        ? long.MaxValue
        : Convert.ToInt64(Statement("SELECT time_us FROM events ORDER BY seq LIMIT 1", null).ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>The runs to drop, oldest first, to get under <paramref name="targetBytes"/> and the age cutoff.</summary>
    private List<DroppedRun> Walk(long cutoffUs, long targetBytes, bool includeKept)
    {
        var runs = new List<DroppedRun>();
        DroppedRun? current = null;
        long freed = 0;
        long after = -1;
        while (true)
        {
            using var command = _db.CreateCommand();
            command.CommandText = "SELECT seq, time_us, priority, length(body) FROM events WHERE seq > $after ORDER BY seq LIMIT $n";
            command.Parameters.AddWithValue("$after", after);
            command.Parameters.AddWithValue("$n", WalkChunk);
            using var reader = command.ExecuteReader();
            var any = false;
            while (reader.Read())
            {
                any = true;
                var (seq, time, kept, bytes) = ((ulong)reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2) == 1, reader.GetInt64(3) + RowOverhead);
                after = (long)seq;
                var overSize = _bytes - freed + (runs.Count + 1) * DropRecordReserve > targetBytes;
                if (!overSize && time >= cutoffUs)
                {
                    Close();
                    return runs;
                }
                if (kept && !includeKept)
                {
                    Close();
                    continue;
                }
                freed += bytes;
                current = current is null
                    ? new DroppedRun(seq, seq, 1, time, time, bytes)
                    : current with { Last = seq, Count = current.Count + 1, FirstTimeUs = Math.Min(current.FirstTimeUs, time), LastTimeUs = Math.Max(current.LastTimeUs, time), Bytes = current.Bytes + bytes };
            }
            if (!any)
            {
                Close();
                return runs;
            }
        }

        void Close()
        {
            if (current is not null)
            {
                runs.Add(current);
                current = null;
            }
        }
    }

    /// <summary>Deletes the runs and appends one DataDropped record per run, in one transaction.</summary>
    private void CommitDrops(IReadOnlyList<DroppedRun> runs, string reason)
    {
        var now = _time.GetUtcNow().ToUnixTimeMilliseconds() * 1000;
        var records = runs.Select(r => new Event
        {
            EventId = Guid.CreateVersion7().ToString("D"),
            Type = EventType.DataDropped,
            TimeUs = now,
            DataDropped = new DataDroppedEvent
            {
                FirstSequence = r.First,
                LastSequence = r.Last,
                Count = (ulong)r.Count,
                FirstTimeUs = r.FirstTimeUs,
                LastTimeUs = r.LastTimeUs,
                Reason = reason,
            },
        }).ToList();
        var next = _lastSequence;
        long added = 0;
        using (var transaction = _db.BeginTransaction())
        {
            using var delete = _db.CreateCommand();
            delete.Transaction = transaction;
            delete.CommandText = "DELETE FROM events WHERE seq BETWEEN $first AND $last";
            var first = delete.Parameters.Add("$first", Microsoft.Data.Sqlite.SqliteType.Integer);
            var last = delete.Parameters.Add("$last", Microsoft.Data.Sqlite.SqliteType.Integer);
            foreach (var run in runs)
            {
                first.Value = (long)run.First;
                last.Value = (long)run.Last;
                delete.ExecuteNonQuery();
            }
            using var insert = _db.CreateCommand();
            insert.Transaction = transaction;
            insert.CommandText = "INSERT INTO events (seq, time_us, priority, body) VALUES ($seq, $time, 1, $body)";
            var seq = insert.Parameters.Add("$seq", Microsoft.Data.Sqlite.SqliteType.Integer);
            var time = insert.Parameters.Add("$time", Microsoft.Data.Sqlite.SqliteType.Integer);
            var body = insert.Parameters.Add("$body", Microsoft.Data.Sqlite.SqliteType.Blob);
            foreach (var record in records)
            {
                record.Sequence = ++next;
                var bytes = Google.Protobuf.MessageExtensions.ToByteArray(record);
                seq.Value = (long)record.Sequence;
                time.Value = record.TimeUs;
                body.Value = bytes;
                insert.ExecuteNonQuery();
                added += bytes.Length + RowOverhead;
            }
            var dropped = runs.Sum(r => r.Count);
            SetMeta("last_sequence", (long)next, transaction);
            SetMeta("dropped_total", _droppedTotal + dropped, transaction);
            transaction.Commit();
            _droppedTotal += dropped;
            _count += records.Count - dropped;
            _bytes += added - runs.Sum(r => r.Bytes);
        }
        _lastSequence = next;
    }

    /// <summary>Removes one event the node refuses outright (it would block delivery forever) and records the drop.</summary>
    public void Reject(OutboxEntry entry, string reason)
    {
        lock (_lock)
        {
            var time = Event.Parser.ParseFrom(entry.Body).TimeUs;
            CommitDrops([new DroppedRun(entry.Sequence, entry.Sequence, 1, time, time, entry.Body.Length + RowOverhead)], reason);
        }
    }
}
