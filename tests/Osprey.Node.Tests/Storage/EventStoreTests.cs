using Google.Protobuf;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Osprey.Contracts.V1;
using Osprey.Detection.Hunting;
using Osprey.Node.Hosting;
using Osprey.Node.Storage;
using Osprey.Node.Tests.Support;
using Osprey.Testing.Paths;
using Osprey.Testing.Simulator;

namespace Osprey.Node.Tests.Storage;

public sealed class EventStoreTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task PayloadFields_AreSearchableByName()
    {
        await using var node = await TestNode.StartAsync();
        using var agent = await node.EnrollAsync();
        var generator = new SyntheticEvents(agent.AgentId, "h", 5);
        var now = NodeClock.ToUs(DateTimeOffset.UtcNow);
        var stop = generator.Create(EventType.ProcessStop, 1, now);
        stop.ProcessStop.ExitCode = 137;
        var other = generator.Create(EventType.ProcessStop, 2, now);
        other.ProcessStop.ExitCode = 0;
        var start = generator.Create(EventType.ProcessStart, 3, now);
        start.ProcessStart.Cwd = "/srv/secret-project";
        await agent.SendAsync([stop, other, start], false, Ct);
        var store = node.Services.GetRequiredService<IEventStore>();

        var killed = await store.SearchAsync(new EventQuery { Query = "ExitCode = 137" }, Ct);
        var clean = await store.SearchAsync(new EventQuery { Query = "EventType = \"ProcessStop\" AND ExitCode = 0" }, Ct);
        var cwd = await store.SearchAsync(new EventQuery { Query = "Cwd STARTS \"/srv/secret\"" }, Ct);

        Assert.Equal(stop.EventId, Assert.Single(killed.Events).EventId);
        Assert.Equal(other.EventId, Assert.Single(clean.Events).EventId);
        var found = Assert.Single(cwd.Events);
        Assert.Contains("/srv/secret-project", found.Attrs, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Search_HonoursTimeRangeSortAndLimit()
    {
        await using var node = await TestNode.StartAsync();
        using var agent = await node.EnrollAsync();
        var generator = new SyntheticEvents(agent.AgentId, "h", 6);
        var day = NodeClock.ToUs(DateTimeOffset.UtcNow.AddDays(-3));
        var events = Enumerable.Range(0, 50).Select(i => generator.Create(EventType.DnsQuery, (ulong)i + 1, day + i * 3_600_000_000L)).ToList();
        await agent.SendAsync(events, false, Ct);
        var store = node.Services.GetRequiredService<IEventStore>();

        var window = await store.SearchAsync(new EventQuery { FromUs = day + 10 * 3_600_000_000L, ToUs = day + 19 * 3_600_000_000L, Limit = 100 }, Ct);
        var newest = await store.SearchAsync(new EventQuery { Limit = 5 }, Ct);
        var oldest = await store.SearchAsync(new EventQuery { Limit = 5, Descending = false }, Ct);
        var byName = await store.SearchAsync(new EventQuery { Sort = "DnsName", Descending = false, Limit = 50 }, Ct);

        Assert.Equal(10, window.Events.Count);
        Assert.Equal(events[^1].EventId, newest.Events[0].EventId);
        Assert.True(newest.Truncated);
        Assert.Equal(events[0].EventId, oldest.Events[0].EventId);
        Assert.True(store.Partitions().Count >= 3, "50 hours of events span at least three day partitions");
        var names = byName.Events.Select(e => e.DnsName!).ToList();
        Assert.Equal(names.Order(StringComparer.OrdinalIgnoreCase), names);
    }

    [Fact]
    public async Task ADayTableOfTheEarlierLayout_HasItsBodiesMovedOut_AndStaysSearchable()
    {
        using var dir = new TempDirectory("osprey-store-layout");
        var path = Path.Combine(dir.Path, "events.db");
        var generator = new SyntheticEvents("7d3f1c2a-0000-4000-8000-000000000001", "h", 8);
        var stop = generator.Create(EventType.ProcessStop, 1, NodeClock.ToUs(DateTimeOffset.UtcNow));
        stop.ProcessStop.ExitCode = 139;
        var partition = SqliteEventStore.PartitionName(DateTimeOffset.UtcNow);
        using (var old = new SqliteConnection($"Data Source={path};Pooling=false"))
        {
            old.Open();
            using var create = old.CreateCommand();
            // The day table as builds before the body table wrote it: the serialized event in a body column.
            create.CommandText = $"""
                CREATE TABLE {partition} (id INTEGER PRIMARY KEY, event_id TEXT NOT NULL, agent_id TEXT NOT NULL COLLATE NOCASE,
                    seq INTEGER NOT NULL, event_type TEXT NOT NULL COLLATE NOCASE, event_time INTEGER NOT NULL, host TEXT, host_ip TEXT,
                    user_name TEXT, unique_pid TEXT, parent_unique_pid TEXT, pid INTEGER, process_name TEXT, process_path TEXT,
                    command_line TEXT, file_path TEXT, file_name TEXT, md5 TEXT, sha256 TEXT, local_ip TEXT, local_port INTEGER,
                    remote_ip TEXT, remote_port INTEGER, protocol TEXT, dns_name TEXT, body BLOB NOT NULL);
                CREATE INDEX {partition}_time ON {partition}(event_time);
                INSERT INTO {partition} (event_id, agent_id, seq, event_type, event_time, body) VALUES ($id, $agent, 1, 'ProcessStop', $time, $body);
                """;
            create.Parameters.AddWithValue("$id", stop.EventId);
            create.Parameters.AddWithValue("$agent", stop.Device.AgentId);
            create.Parameters.AddWithValue("$time", stop.TimeUs);
            create.Parameters.AddWithValue("$body", stop.ToByteArray());
            create.ExecuteNonQuery();
        }

        await using (var store = new SqliteEventStore(path, TimeProvider.System, NullLogger<SqliteEventStore>.Instance))
        {
            store.Initialize();
            var found = await store.SearchAsync(new EventQuery { Query = "ExitCode = 139" }, Ct);
            Assert.Equal(stop.EventId, Assert.Single(found.Events).EventId);
            Assert.Equal([partition], store.Partitions());
        }
        using var check = new SqliteConnection($"Data Source={path};Pooling=false");
        check.Open();
        using var columns = check.CreateCommand();
        columns.CommandText = $"SELECT count(*) FROM pragma_table_info('{partition}') WHERE name = 'body'";
        Assert.Equal(0L, columns.ExecuteScalar());
    }

    [Fact]
    public async Task ADayTableIndexedByHashText_GetsLookupKeys_AndItsHashesAndUniquePidsStayFindable()
    {
        using var dir = new TempDirectory("osprey-store-keys");
        var path = Path.Combine(dir.Path, "events.db");
        var generator = new SyntheticEvents("7d3f1c2a-0000-4000-8000-000000000001", "h", 9);
        var now = NodeClock.ToUs(DateTimeOffset.UtcNow);
        var parent = generator.Create(EventType.ProcessStart, 1, now);
        var child = generator.Create(EventType.ProcessStart, 2, now + 1);
        child.ParentUniquePid = parent.Process.UniquePid;
        var partition = SqliteEventStore.PartitionName(DateTimeOffset.UtcNow);
        using (var old = new SqliteConnection($"Data Source={path};Pooling=false"))
        {
            old.Open();
            using var create = old.CreateCommand();
            // The day table as builds before lookup keys wrote it: hashes and UniquePIDs indexed by their text.
            create.CommandText = $"""
                CREATE TABLE {partition} (id INTEGER PRIMARY KEY, event_id TEXT NOT NULL, agent_id TEXT NOT NULL COLLATE NOCASE,
                    seq INTEGER NOT NULL, event_type TEXT NOT NULL COLLATE NOCASE, event_time INTEGER NOT NULL, host TEXT COLLATE NOCASE,
                    host_ip TEXT COLLATE NOCASE, user_name TEXT COLLATE NOCASE, unique_pid TEXT COLLATE NOCASE,
                    parent_unique_pid TEXT COLLATE NOCASE, pid INTEGER, process_name TEXT COLLATE NOCASE, process_path TEXT COLLATE NOCASE,
                    command_line TEXT COLLATE NOCASE, file_path TEXT COLLATE NOCASE, file_name TEXT COLLATE NOCASE,
                    md5 TEXT COLLATE NOCASE, sha256 TEXT COLLATE NOCASE, local_ip TEXT COLLATE NOCASE, local_port INTEGER,
                    remote_ip TEXT COLLATE NOCASE, remote_port INTEGER, protocol TEXT COLLATE NOCASE, dns_name TEXT COLLATE NOCASE);
                CREATE TABLE {partition}_body (id INTEGER PRIMARY KEY, body BLOB NOT NULL);
                CREATE INDEX {partition}_time ON {partition}(event_time);
                CREATE INDEX {partition}_upid ON {partition}(unique_pid) WHERE unique_pid IS NOT NULL;
                CREATE INDEX {partition}_ppid ON {partition}(parent_unique_pid) WHERE parent_unique_pid IS NOT NULL;
                CREATE INDEX {partition}_sha256 ON {partition}(sha256) WHERE sha256 IS NOT NULL;
                CREATE INDEX {partition}_md5 ON {partition}(md5) WHERE md5 IS NOT NULL;
                """;
            create.ExecuteNonQuery();
            foreach (var e in new[] { parent, child })
            {
                using var insert = old.CreateCommand();
                insert.CommandText = $"""
                    INSERT INTO {partition} (event_id, agent_id, seq, event_type, event_time, unique_pid, parent_unique_pid, md5, sha256)
                        VALUES ($id, $agent, $seq, 'ProcessStart', $time, $upid, $ppid, $md5, $sha256);
                    INSERT INTO {partition}_body (id, body) VALUES (last_insert_rowid(), $body);
                    """;
                insert.Parameters.AddWithValue("$id", e.EventId);
                insert.Parameters.AddWithValue("$agent", e.Device.AgentId);
                insert.Parameters.AddWithValue("$seq", (long)e.Sequence);
                insert.Parameters.AddWithValue("$time", e.TimeUs);
                insert.Parameters.AddWithValue("$upid", e.Process.UniquePid);
                insert.Parameters.AddWithValue("$ppid", string.IsNullOrEmpty(e.ParentUniquePid) ? DBNull.Value : e.ParentUniquePid);
                insert.Parameters.AddWithValue("$md5", e.Process.File.Md5);
                insert.Parameters.AddWithValue("$sha256", e.Process.File.Sha256);
                insert.Parameters.AddWithValue("$body", e.ToByteArray());
                insert.ExecuteNonQuery();
            }
        }

        await using (var store = new SqliteEventStore(path, TimeProvider.System, NullLogger<SqliteEventStore>.Instance))
        {
            store.Initialize();
            var byMd5 = await store.SearchAsync(new EventQuery { Query = $"Md5 = \"{child.Process.File.Md5.ToUpperInvariant()}\" AND UniquePid = \"{child.Process.UniquePid}\"" }, Ct);
            Assert.Equal(child.EventId, Assert.Single(byMd5.Events).EventId);
            var bySha = await store.SearchAsync(new EventQuery { Query = $"Sha256 IN (\"{parent.Process.File.Sha256}\", \"{new string('0', 64)}\") AND ParentUniquePid = \"{parent.ParentUniquePid}\"" }, Ct);
            Assert.Equal(parent.EventId, Assert.Single(bySha.Events).EventId);
            var tree = await store.ProcessTreeAsync(parent.Process.UniquePid, 10, Ct);
            Assert.Equal(child.Process.UniquePid, Assert.Single(tree.Process!.Children).UniquePid);
        }
        using var check = new SqliteConnection($"Data Source={path};Pooling=false");
        check.Open();
        using var indexes = check.CreateCommand();
        indexes.CommandText = $"SELECT group_concat(name, ' ') FROM (SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = '{partition}' ORDER BY name)";
        Assert.Equal(
            $"{partition}_md5_key {partition}_ppid_key {partition}_sha256_key {partition}_time {partition}_upid_key",
            indexes.ExecuteScalar());
    }

    [Theory]
    [InlineData("Sha256 = \"E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855\"", "sha256_key")]
    [InlineData("Md5 IN (\"d41d8cd98f00b204e9800998ecf8427e\", \"0cc175b9c0f1b6a831c399e269772661\")", "md5_key")]
    [InlineData("UniquePid = \"0123456789abcdef0123456789abcdef\"", "upid_key")]
    [InlineData("ParentUniquePid = \"0123456789abcdef0123456789abcdef\" AND EventType = \"ProcessStart\"", "ppid_key")]
    public void HashAndUniquePidLookups_UseTheirKeyIndex(string query, string keyColumn)
    {
        using var plans = new DayTablePlans();
        var partition = plans.Partition;
        var compiled = new HuntingQueryCompiler(EventsSchema.Default, SqliteDialect.Instance).Compile(query);
        var steps = plans.Steps($"SELECT id FROM {SqliteEventStore.Source(partition)} WHERE {compiled.Where}", compiled.Parameters);

        Assert.Contains(steps, step => step.Contains($"USING INDEX {partition}_{keyColumn}", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Retention_DropsWholeDaysOlderThanTheLimit()
    {
        await using var node = await TestNode.StartAsync();
        using var agent = await node.EnrollAsync();
        var generator = new SyntheticEvents(agent.AgentId, "h", 7);
        var now = DateTimeOffset.UtcNow;
        var old = generator.Create(EventType.FileCreate, 1, NodeClock.ToUs(now.AddDays(-40)));
        var recent = generator.Create(EventType.FileCreate, 2, NodeClock.ToUs(now.AddDays(-2)));
        await agent.SendAsync([old, recent], false, Ct);
        var store = node.Services.GetRequiredService<IEventStore>();

        var dropped = store.ApplyRetention(now, retentionDays: 30, maxBytes: long.MaxValue);

        Assert.Equal(1, dropped);
        var left = await store.SearchAsync(new EventQuery(), Ct);
        Assert.Equal(recent.EventId, Assert.Single(left.Events).EventId);
        Assert.Equal(2UL, store.AckedSequence(agent.AgentId));
    }

    [Fact]
    public async Task ProcessTree_HasAncestorsDescendantsAndTheirEvents()
    {
        await using var node = await TestNode.StartAsync();
        using var agent = await node.EnrollAsync();
        var generator = new SyntheticEvents(agent.AgentId, "h", 8);
        var now = NodeClock.ToUs(DateTimeOffset.UtcNow);
        var root = generator.Create(EventType.ProcessStart, 1, now);
        var child = generator.Create(EventType.ProcessStart, 2, now + 1);
        child.ParentUniquePid = root.Process.UniquePid;
        var grandchild = generator.Create(EventType.ProcessStart, 3, now + 2);
        grandchild.ParentUniquePid = child.Process.UniquePid;
        var connection = generator.Create(EventType.NetworkConnection, 4, now + 3);
        connection.Process = child.Process.Clone();
        await agent.SendAsync([root, child, grandchild, connection], false, Ct);

        var tree = await node.Services.GetRequiredService<IEventStore>().ProcessTreeAsync(child.Process.UniquePid, 100, Ct);

        Assert.Equal(root.Process.UniquePid, Assert.Single(tree.Ancestors, a => a.Start is not null).UniquePid);
        Assert.NotNull(tree.Process);
        Assert.Contains(tree.Process.Events, e => e.EventType == "NetworkConnection");
        Assert.Equal(grandchild.Process.UniquePid, Assert.Single(tree.Process.Children).UniquePid);
    }
}
