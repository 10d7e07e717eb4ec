namespace Osprey.Node.Storage;

public sealed partial class SqliteEventStore
{
    public int ApplyRetention(DateTimeOffset now, int retentionDays, long maxBytes)
    {
        var oldestKept = PartitionName(now.AddDays(-retentionDays));
        var dropped = 0;
        foreach (var partition in Partitions())
        {
            if (string.CompareOrdinal(partition, oldestKept) < 0)
            {
                DropPartition(partition);
                dropped++;
            }
        }
        // Size bound: drop whole days, oldest first, but never today's.
        var today = PartitionName(now);
        while (UsedBytes() > maxBytes && Partitions() is [var oldest, ..] && string.CompareOrdinal(oldest, today) < 0)
        {
            DropPartition(oldest);
            dropped++;
        }
        return dropped;
    }

    /// <summary>The bytes the shards' pages hold (free pages not counted).</summary>
    private long UsedBytes()
    {
        long total = 0;
        foreach (var shard in _shards)
        {
            using var connection = SqliteConnections.Open(shard.Path);
            using var command = connection.CreateCommand();
            command.CommandText = "SELECT (SELECT page_count FROM pragma_page_count()) - (SELECT freelist_count FROM pragma_freelist_count()), (SELECT page_size FROM pragma_page_size())";
            using var reader = command.ExecuteReader();
            reader.Read();
            total += reader.GetInt64(0) * reader.GetInt64(1);
        }
        return total;
    }

    private void DropPartition(string partition)
    {
        // SQLite serialises the drop with the shard's ingest writer; an event that arrives late for a dropped day
        // recreates its table (its statement re-prepares), so nothing acknowledged is lost.
        var holding = new List<Shard>();
        lock (_partitionsLock)
        {
            foreach (var shard in _shards.Where(s => s.Partitions.Contains(partition)))
            {
                var remaining = new SortedSet<string>(shard.Partitions, StringComparer.Ordinal);
                remaining.Remove(partition);
                shard.Partitions = remaining;
                holding.Add(shard);
            }
        }
        foreach (var shard in holding)
        {
            using var connection = SqliteConnections.Open(shard.Path);
            Execute(connection, $"DROP TABLE IF EXISTS {partition}; DROP TABLE IF EXISTS {BodyTable(partition)}; PRAGMA incremental_vacuum;");
        }
        LogPartitionDropped(_logger, partition);
    }
}
