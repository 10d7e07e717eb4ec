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

    private long UsedBytes()
    {
        using var connection = SqliteConnections.Open(_path);
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT (SELECT page_count FROM pragma_page_count()) - (SELECT freelist_count FROM pragma_freelist_count()), (SELECT page_size FROM pragma_page_size())";
        using var reader = command.ExecuteReader();
        reader.Read();
        return reader.GetInt64(0) * reader.GetInt64(1);
    }

    private void DropPartition(string partition)
    {
        // SQLite serialises the drop with the ingest writer; an event that arrives late for a dropped day
        // recreates its table (its statement re-prepares), so nothing acknowledged is lost.
        lock (_partitionsLock)
        {
            var remaining = new SortedSet<string>(_partitions, StringComparer.Ordinal);
            remaining.Remove(partition);
            _partitions = remaining;
        }
        using var connection = SqliteConnections.Open(_path);
        Execute(connection, $"DROP TABLE IF EXISTS {partition}; DROP TABLE IF EXISTS {BodyTable(partition)}; PRAGMA incremental_vacuum;");
        LogPartitionDropped(_logger, partition);
    }
}
