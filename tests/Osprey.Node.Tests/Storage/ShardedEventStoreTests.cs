using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;
using Osprey.Contracts.V1;
using Osprey.Detection.Hunting;
using Osprey.Node.Hosting;
using Osprey.Node.Ingest;
using Osprey.Node.Storage;
using Osprey.Node.Tests.Support;
using Osprey.Testing.Paths;
using Osprey.Testing.Simulator;

namespace Osprey.Node.Tests.Storage;

/// <summary>The events store spread over several database files, one writer each: routing, merged reads, growth, retention.</summary>
public sealed class ShardedEventStoreTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>Agent IDs whose events a two-shard store keeps in its first and its second file.</summary>
    private static (string First, string Second) AgentsOfTwoShards()
    {
        string? first = null, second = null;
        for (var i = 0; first is null || second is null; i++)
        {
            var id = $"5a0c1e2d-0000-4000-8000-{i:x12}";
            if ((ulong)LookupKey.Of(id) % 2 == 0)
            {
                first ??= id;
            }
            else
            {
                second ??= id;
            }
        }
        return (first, second);
    }

    private static SqliteEventStore Open(string path, int writers)
    {
        var store = new SqliteEventStore(path, TimeProvider.System, NullLogger<SqliteEventStore>.Instance, writers);
        store.Initialize();
        return store;
    }

    private static long RowsIn(string file, string partition)
    {
        using var connection = new SqliteConnection($"Data Source={file};Mode=ReadOnly;Pooling=false");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = $"SELECT count(*) FROM {partition}";
        return (long)command.ExecuteScalar()!;
    }

    [Fact]
    public async Task TwoAgentsInTwoShards_AreReadBackAsOneStore_InTimeOrder()
    {
        using var dir = new TempDirectory("osprey-shards");
        var path = Path.Combine(dir.Path, "events.db");
        var (a, b) = AgentsOfTwoShards();
        await using var store = Open(path, writers: 2);
        var now = NodeClock.ToUs(DateTimeOffset.UtcNow) - 1_000_000;
        // Interleaved times: even microseconds from the first agent, odd ones from the second.
        var ofA = new SyntheticEvents(a, "host-a", 1);
        var ofB = new SyntheticEvents(b, "host-b", 2);
        var eventsA = Enumerable.Range(0, 20).Select(i => ofA.Create(EventType.ProcessStart, (ulong)i + 1, now + 2 * i)).ToArray();
        var eventsB = Enumerable.Range(0, 20).Select(i => ofB.Create(EventType.ProcessStart, (ulong)i + 1, now + 2 * i + 1)).ToArray();
        eventsB[7].ParentUniquePid = eventsB[3].Process.UniquePid;
        Assert.Equal(20, (await store.IngestAsync(a, ReceivedBatch.Of(eventsA, a), Ct)).Stored);
        Assert.Equal(20, (await store.IngestAsync(b, ReceivedBatch.Of(eventsB, b), Ct)).Stored);

        var partition = SqliteEventStore.PartitionName(DateTimeOffset.UtcNow);
        Assert.Equal(20, RowsIn(path, partition));
        Assert.Equal(20, RowsIn(SqliteEventStore.ShardPath(path, 1), partition));
        Assert.Equal([partition], store.Partitions());

        var all = eventsA.Concat(eventsB).OrderBy(e => e.TimeUs).Select(e => e.EventId).ToList();
        var newest = await store.SearchAsync(new EventQuery { Limit = 7 }, Ct);
        Assert.Equal(all.AsEnumerable().Reverse().Take(7), newest.Events.Select(e => e.EventId));
        Assert.True(newest.Truncated);
        var oldest = await store.SearchAsync(new EventQuery { Limit = 5, Descending = false }, Ct);
        Assert.Equal(all.Take(5), oldest.Events.Select(e => e.EventId));
        var byHost = await store.SearchAsync(new EventQuery { Sort = "Host", Descending = true, Limit = 100 }, Ct);
        Assert.Equal(40, byHost.Events.Count);
        Assert.Equal("host-b", byHost.Events[0].Host);
        Assert.Equal("host-a", byHost.Events[^1].Host);
        Assert.Equal(40, await store.CountAsync(new EventQuery(), Ct));
        Assert.Equal(1, await store.CountAsync(new EventQuery { Query = $"UniquePid = \"{eventsB[12].Process.UniquePid}\"" }, Ct));

        var tree = await store.ProcessTreeAsync(eventsB[3].Process.UniquePid, 10, Ct);
        Assert.Contains(tree.Process!.Children, c => c.UniquePid == eventsB[7].Process.UniquePid);

        var scan = new EventScan
        {
            Texts = new Dictionary<string, IReadOnlyList<string>> { ["sha256"] = [eventsA[0].Process.File.Sha256, eventsB[0].Process.File.Sha256] },
        };
        var scanned = new List<string>();
        await foreach (var (agentId, _) in store.ScanAsync(scan, Ct))
        {
            scanned.Add(agentId);
        }
        Assert.Contains(a, scanned);
        Assert.Contains(b, scanned);

        var sequences = new List<ulong>();
        await foreach (var body in store.ReadSequencesAsync(b, 5, 9, now, now + 100, NodeClock.ToUs(DateTimeOffset.UtcNow), Ct))
        {
            sequences.Add(Event.Parser.ParseFrom(body).Sequence);
        }
        Assert.Equal([5UL, 6, 7, 8, 9], sequences);
    }

    [Fact]
    public void TheSearchOfADayInTwoShards_MergesTheirTimeIndexes_WithoutSortingEveryRow()
    {
        using var plans = new DayTablePlans(secondShard: true);
        var partition = plans.Partition;
        var steps = plans.Steps(
            SqliteEventStore.DaySearchSql([partition, "shard1." + partition], "event_time BETWEEN 0 AND 9 AND (event_type = 'DnsQuery')", "event_time DESC, id DESC", 100));

        Assert.Contains(steps, step => step.Contains("MERGE", StringComparison.Ordinal));
        Assert.Equal(2, steps.Count(step => step.Contains($"USING INDEX {partition}_time", StringComparison.Ordinal)));
        Assert.DoesNotContain(steps, step => step.Contains("TEMP B-TREE", StringComparison.Ordinal));
    }

    [Fact]
    public async Task AStoreGrownFromOneWriterToTwo_KeepsEveryAgentsSequences_AndItsEvents()
    {
        using var dir = new TempDirectory("osprey-shards-grow");
        var path = Path.Combine(dir.Path, "events.db");
        var (_, b) = AgentsOfTwoShards();
        var generator = new SyntheticEvents(b, "host-b", 3);
        var now = NodeClock.ToUs(DateTimeOffset.UtcNow) - 1_000_000;
        var first = Enumerable.Range(0, 10).Select(i => generator.Create(EventType.DnsQuery, (ulong)i + 1, now + i)).ToArray();
        await using (var single = Open(path, writers: 1))
        {
            Assert.Equal(10, (await single.IngestAsync(b, ReceivedBatch.Of(first, b), Ct)).Stored);
        }
        Assert.False(File.Exists(SqliteEventStore.ShardPath(path, 1)));

        var second = Enumerable.Range(10, 10).Select(i => generator.Create(EventType.DnsQuery, (ulong)i + 1, now + i)).ToArray();
        await using (var grown = Open(path, writers: 2))
        {
            // The agent now belongs to the second file, which has never seen it: the ranges come from the first.
            Assert.Equal(10UL, grown.AckedSequence(b));
            var again = await grown.IngestAsync(b, ReceivedBatch.Of(first, b), Ct);
            Assert.Equal((0, 10), (again.Stored, again.Duplicates));
            var next = await grown.IngestAsync(b, ReceivedBatch.Of(second, b), Ct);
            Assert.Equal((10, 20UL), (next.Stored, next.AckedSequence));
            Assert.Equal(20, await grown.CountAsync(new EventQuery(), Ct));
        }
        var partition = SqliteEventStore.PartitionName(DateTimeOffset.UtcNow);
        Assert.Equal(10, RowsIn(SqliteEventStore.ShardPath(path, 1), partition));

        // Settings asking for one writer again cannot shrink the store: both files stay in use.
        await using var reopened = Open(path, writers: 1);
        Assert.Equal(20UL, reopened.AckedSequence(b));
        Assert.Equal(0, (await reopened.IngestAsync(b, ReceivedBatch.Of(second, b), Ct)).Stored);
        Assert.Equal(20, await reopened.CountAsync(new EventQuery(), Ct));
    }

    [Fact]
    public async Task RetentionBySize_CountsEveryShard_AndDropsTheOldestDayFromAll()
    {
        using var dir = new TempDirectory("osprey-shards-retention");
        var path = Path.Combine(dir.Path, "events.db");
        var (a, b) = AgentsOfTwoShards();
        await using var store = Open(path, writers: 2);
        var today = DateTimeOffset.UtcNow;
        foreach (var (agent, seed) in new[] { (a, 4), (b, 5) })
        {
            var generator = new SyntheticEvents(agent, "h", seed);
            Event[] batch = [generator.Create(EventType.FileCreate, 1, NodeClock.ToUs(today.AddDays(-3))), generator.Create(EventType.FileCreate, 2, NodeClock.ToUs(today))];
            Assert.Equal(2, (await store.IngestAsync(agent, ReceivedBatch.Of(batch, agent), Ct)).Stored);
        }
        var oldDay = SqliteEventStore.PartitionName(today.AddDays(-3));

        // A bound of one byte: every day but today's goes, from both files.
        Assert.Equal(1, store.ApplyRetention(today, retentionDays: 30, maxBytes: 1));

        Assert.Equal([SqliteEventStore.PartitionName(today)], store.Partitions());
        Assert.Equal(2, await store.CountAsync(new EventQuery(), Ct));
        foreach (var file in new[] { path, SqliteEventStore.ShardPath(path, 1) })
        {
            using var connection = new SqliteConnection($"Data Source={file};Mode=ReadOnly;Pooling=false");
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = $"SELECT count(*) FROM sqlite_master WHERE name = '{oldDay}'";
            Assert.Equal(0L, command.ExecuteScalar());
        }
    }

    [Fact]
    public async Task ADayReadThatRunsOverItsBudget_IsRedoneAsAScan_WithTheSamePage()
    {
        using var dir = new TempDirectory("osprey-shards-budget");
        var path = Path.Combine(dir.Path, "events.db");
        var (a, b) = AgentsOfTwoShards();
        // A budget of one thousand steps: every day read but the most selective goes over it and is redone as a scan.
        var store = new SqliteEventStore(path, TimeProvider.System, NullLogger<SqliteEventStore>.Instance, writers: 2) { OrderedReadBudget = 1 };
        await using var _ = store;
        store.Initialize();
        var now = NodeClock.ToUs(DateTimeOffset.UtcNow) - 10_000_000;
        var all = new List<Event>();
        foreach (var (agent, seed) in new[] { (a, 6), (b, 7) })
        {
            var generator = new SyntheticEvents(agent, "h", seed);
            var events = Enumerable.Range(0, 2_000).Select(i => generator.Create(EventType.ProcessStart, (ulong)i + 1, now + 3 * i + seed)).ToArray();
            events[1_234].Process.CommandLine = "/usr/bin/rare-needle --once";
            Assert.Equal(2_000, (await store.IngestAsync(agent, ReceivedBatch.Of(events, agent), Ct)).Stored);
            all.AddRange(events);
        }
        var byTime = all.OrderBy(e => e.TimeUs).Select(e => e.EventId).ToList();

        var rare = await store.SearchAsync(new EventQuery { Query = "CommandLine CONTAINS \"rare-needle\"" }, Ct);
        var newest = await store.SearchAsync(new EventQuery { Limit = 50 }, Ct);
        var oldest = await store.SearchAsync(new EventQuery { Limit = 50, Descending = false }, Ct);
        var window = await store.SearchAsync(new EventQuery { FromUs = now + 3_000, ToUs = now + 3_300, Limit = 1_000, Descending = false }, Ct);

        Assert.Equal(
            all.Where(e => e.Process.CommandLine.Contains("rare-needle", StringComparison.Ordinal)).OrderByDescending(e => e.TimeUs).Select(e => e.EventId),
            rare.Events.Select(e => e.EventId));
        Assert.Equal(byTime.AsEnumerable().Reverse().Take(50), newest.Events.Select(e => e.EventId));
        Assert.Equal(byTime.Take(50), oldest.Events.Select(e => e.EventId));
        Assert.Equal(all.Where(e => e.TimeUs >= now + 3_000 && e.TimeUs <= now + 3_300).OrderBy(e => e.TimeUs).Select(e => e.EventId), window.Events.Select(e => e.EventId));
        Assert.True(store.DayScans >= 1, "the rare search went over its budget and was redone as a scan");
    }

    [Fact]
    public void TheScanOfADay_ReadsTheTableInStorageOrder_AndSortsOnlyTheMatches()
    {
        using var plans = new DayTablePlans();
        var steps = plans.Steps(SqliteEventStore.DayScanSql([plans.Partition, plans.Partition], "1 AND (command_line LIKE '%x%')", "DESC", 100));

        Assert.Equal(2, steps.Count(step => step == "SCAN e"));
        Assert.DoesNotContain(steps, step => step.Contains("_time", StringComparison.Ordinal));
    }
}
