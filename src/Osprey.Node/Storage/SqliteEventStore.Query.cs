using Microsoft.Data.Sqlite;
using Osprey.Detection.Hunting;
using Osprey.Node.Hosting;

namespace Osprey.Node.Storage;

public sealed partial class SqliteEventStore
{
    private const int MaxTreeDepth = 64;
    private const int MaxTreeProcesses = 2_000;

    /// <summary>Day partitions a search or count scans at the same time, each on its own connection.</summary>
    private static readonly int ScanParallelism = Math.Clamp(Environment.ProcessorCount, 1, 8);

    public async Task<EventPage> SearchAsync(EventQuery query, CancellationToken cancellationToken)
    {
        var compiled = HuntingSql.Compile(query.Query);
        var order = HuntingSql.OrderBy(query.Sort, query.Descending);
        var partitions = PartitionsIn(query.FromUs, query.ToUs, query.Descending);
        var limit = Math.Clamp(query.Limit, 1, 1_000_000);
        var results = new List<StoredEvent>();
        if (HuntingSql.IsEventTime(query.Sort))
        {
            // Day partitions are already in time order: read them a window at a time, the partitions of a window in
            // parallel (one connection each), until the page is full. A scan that finds little (a rare substring
            // over every day) thus uses every core; a selective query reads at most one window more than it needs.
            for (var first = 0; first < partitions.Count && results.Count <= limit; first += ScanParallelism)
            {
                var wanted = limit + 1 - results.Count;
                var direction = query.Descending ? "DESC" : "ASC";
                var where = $"{TimeRange(query)} AND ({compiled.Where})";
                var window = partitions.Skip(first).Take(ScanParallelism).Select(partition => Task.Run(() => ReadDayAsync(
                    TablesOf(partition), where, $"{order}, id {direction}", direction, wanted, compiled.Parameters, query, cancellationToken), cancellationToken)).ToList();
                foreach (var page in await Task.WhenAll(window).ConfigureAwait(false))
                {
                    results.AddRange(page.Take(limit + 1 - results.Count));
                }
            }
        }
        else if (partitions.Count > 0)
        {
            await using var connection = OpenReader();
            var union = string.Join(" UNION ALL ", partitions.SelectMany(TablesOf).Select(t => $"SELECT {Columns} FROM {Source(t)} WHERE {TimeRange(query)} AND ({compiled.Where})"));
            var sql = $"SELECT * FROM ({union}) ORDER BY {order} LIMIT {limit + 1}";
            await ReadAsync(connection, sql, compiled.Parameters, query, results, cancellationToken).ConfigureAwait(false);
        }
        var truncated = results.Count > limit;
        if (truncated)
        {
            results.RemoveRange(limit, results.Count - limit);
        }
        return new EventPage(results, truncated);
    }

    public async Task<long> CountAsync(EventQuery query, CancellationToken cancellationToken)
    {
        var compiled = HuntingSql.Compile(query.Query);
        long total = 0;
        await Parallel.ForEachAsync(
            PartitionsIn(query.FromUs, query.ToUs, descending: false).SelectMany(TablesOf),
            new ParallelOptions { MaxDegreeOfParallelism = ScanParallelism, CancellationToken = cancellationToken },
            async (partition, ct) =>
            {
                await using var connection = OpenReader();
                await using var command = connection.CreateCommand();
                command.CommandText = $"SELECT count(*) FROM {Source(partition)} WHERE {TimeRange(query)} AND ({compiled.Where})";
                Bind(command, compiled.Parameters, query);
                Interlocked.Add(ref total, (long)(await command.ExecuteScalarAsync(ct).ConfigureAwait(false))!);
            }).ConfigureAwait(false);
        return total;
    }

    public async Task<ProcessTree> ProcessTreeAsync(string uniquePid, int maxEventsPerProcess, CancellationToken cancellationToken)
    {
        await using var connection = OpenReader();
        var partitions = PartitionsIn(null, null, descending: false).SelectMany(TablesOf).ToList();
        var start = await StartOfAsync(connection, partitions, uniquePid, cancellationToken).ConfigureAwait(false);
        var ancestors = new List<ProcessNode>();
        var parent = start?.ParentUniquePid;
        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase) { uniquePid };
        while (parent is not null && ancestors.Count < MaxTreeDepth && seen.Add(parent))
        {
            var parentStart = await StartOfAsync(connection, partitions, parent, cancellationToken).ConfigureAwait(false);
            var events = await EventsOfAsync(connection, partitions, parent, maxEventsPerProcess, cancellationToken).ConfigureAwait(false);
            if (parentStart is null && events.Count == 0)
            {
                break;
            }
            ancestors.Add(new ProcessNode(parent, parentStart?.ParentUniquePid, parentStart, events, []));
            parent = parentStart?.ParentUniquePid;
        }
        ancestors.Reverse();
        var budget = new[] { MaxTreeProcesses };
        var process = await NodeOfAsync(connection, partitions, uniquePid, start, 0, maxEventsPerProcess, seen, budget, cancellationToken).ConfigureAwait(false);
        return new ProcessTree(uniquePid, ancestors, process);
    }

    private async Task<ProcessNode?> NodeOfAsync(
        SqliteConnection connection, IReadOnlyList<string> partitions, string uniquePid, StoredEvent? start, int depth,
        int maxEvents, HashSet<string> seen, int[] budget, CancellationToken cancellationToken)
    {
        var events = await EventsOfAsync(connection, partitions, uniquePid, maxEvents, cancellationToken).ConfigureAwait(false);
        if (start is null && events.Count == 0)
        {
            return null;
        }
        var children = new List<ProcessNode>();
        if (depth < MaxTreeDepth)
        {
            foreach (var childStart in await QueryAllAsync(connection, partitions, "ppid_key = $k AND parent_unique_pid = $u AND event_type = 'ProcessStart'", uniquePid, 1000, cancellationToken).ConfigureAwait(false))
            {
                if (childStart.UniquePid is null || !seen.Add(childStart.UniquePid) || --budget[0] < 0)
                {
                    continue;
                }
                var child = await NodeOfAsync(connection, partitions, childStart.UniquePid, childStart, depth + 1, maxEvents, seen, budget, cancellationToken).ConfigureAwait(false);
                if (child is not null)
                {
                    children.Add(child);
                }
            }
        }
        return new ProcessNode(uniquePid, start?.ParentUniquePid, start, events, children);
    }

    private async Task<StoredEvent?> StartOfAsync(SqliteConnection connection, IReadOnlyList<string> partitions, string uniquePid, CancellationToken cancellationToken) =>
        (await QueryAllAsync(connection, partitions, "upid_key = $k AND unique_pid = $u AND event_type = 'ProcessStart'", uniquePid, 1, cancellationToken).ConfigureAwait(false)).FirstOrDefault();

    private Task<List<StoredEvent>> EventsOfAsync(SqliteConnection connection, IReadOnlyList<string> partitions, string uniquePid, int max, CancellationToken cancellationToken) =>
        QueryAllAsync(connection, partitions, "upid_key = $k AND unique_pid = $u", uniquePid, max, cancellationToken);

    private static async Task<List<StoredEvent>> QueryAllAsync(
        SqliteConnection connection, IReadOnlyList<string> partitions, string where, string uniquePid, int max, CancellationToken cancellationToken)
    {
        var results = new List<StoredEvent>();
        foreach (var partition in partitions)
        {
            if (results.Count >= max)
            {
                break;
            }
            await using var command = connection.CreateCommand();
            command.CommandText = $"SELECT {Columns} FROM {Source(partition)} WHERE {where} ORDER BY event_time, id LIMIT {max - results.Count}";
            command.Parameters.AddWithValue("$u", uniquePid);
            command.Parameters.AddWithValue("$k", LookupKey.Of(uniquePid));
            await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                results.Add(ReadEvent(reader));
            }
        }
        return results;
    }

    private List<string> PartitionsIn(long? fromUs, long? toUs, bool descending)
    {
        var from = fromUs is { } f ? PartitionName(NodeClock.FromUs(f)) : null;
        var to = toUs is { } t ? PartitionName(NodeClock.FromUs(t)) : null;
        var selected = Partitions()
            .Where(p => (from is null || string.CompareOrdinal(p, from) >= 0) && (to is null || string.CompareOrdinal(p, to) <= 0))
            .ToList();
        if (descending)
        {
            selected.Reverse();
        }
        return selected;
    }

    private static string TimeRange(EventQuery query) =>
        (query.FromUs, query.ToUs) switch
        {
            (null, null) => "1",
            (not null, null) => "event_time >= $from",
            (null, not null) => "event_time <= $to",
            _ => "event_time BETWEEN $from AND $to",
        };

    /// <summary>
    /// A page of one day in sort order. Several shards hold the day: a compound SELECT whose ORDER BY names result
    /// columns, which SQLite answers by merging the shards' index-ordered scans (each stops at the limit).
    /// </summary>
    internal static string DaySearchSql(IReadOnlyList<string> tables, string where, string orderBy, int limit) =>
        tables.Count == 1
            ? $"SELECT {Columns} FROM {Source(tables[0])} WHERE {where} ORDER BY {orderBy} LIMIT {limit}"
            : string.Join(" UNION ALL ", tables.Select(t => $"SELECT {Columns}, id FROM {Source(t)} WHERE {where}")) + $" ORDER BY {orderBy} LIMIT {limit}";

    /// <summary>
    /// The same page as <see cref="DaySearchSql"/>, found by reading each shard's day table in storage order and keeping
    /// the first rows by time (a top-N sort): about half the cost of the index-ordered read per row examined, but it
    /// always examines the whole day. (<c>+event_time, +id</c> keep SQLite from ordering through the time index; other
    /// indexes still serve the WHERE.)
    /// </summary>
    internal static string DayScanSql(IReadOnlyList<string> tables, string where, string direction, int limit) =>
        string.Join(" UNION ALL ", tables.Select(t => $"SELECT * FROM (SELECT {Columns}, id FROM {Source(t)} WHERE {where} ORDER BY +event_time {direction}, +id {direction} LIMIT {limit})")) +
        $" ORDER BY event_time {direction}, id {direction} LIMIT {limit}";

    /// <summary>
    /// SQLite virtual-machine steps (in thousands) an index-ordered day read may take before it is redone as a scan:
    /// some tens of thousands of rows examined (tests set it lower). A query whose matches are common fills its page long before; one whose
    /// matches are rare would walk the whole day through the index, which costs about twice a scan.
    /// </summary>
    internal int OrderedReadBudget { get; init; } = 1_000;

    private long _dayScans;

    /// <summary>Day reads redone as a scan since the store opened.</summary>
    internal long DayScans => Interlocked.Read(ref _dayScans);

    private async Task<List<StoredEvent>> ReadDayAsync(
        IReadOnlyList<string> tables, string where, string orderBy, string direction, int wanted,
        IReadOnlyList<KeyValuePair<string, object>> parameters, EventQuery query, CancellationToken cancellationToken)
    {
        await using var connection = OpenReader();
        var steps = 0;
        SQLitePCL.raw.sqlite3_progress_handler(connection.Handle, 1_000, _ => ++steps > OrderedReadBudget ? 1 : 0, null);
        try
        {
            var ordered = new List<StoredEvent>();
            await ReadAsync(connection, DaySearchSql(tables, where, orderBy, wanted), parameters, query, ordered, cancellationToken).ConfigureAwait(false);
            return ordered;
        }
        catch (SqliteException e) when (e.SqliteErrorCode == SQLitePCL.raw.SQLITE_INTERRUPT && steps > OrderedReadBudget)
        {
            // Over budget: the matches are rare in this day.
        }
        finally
        {
            // The connection goes back to the pool: it must not keep the handler.
            SQLitePCL.raw.sqlite3_progress_handler(connection.Handle, 0, null, null);
        }
        Interlocked.Increment(ref _dayScans);
        var scanned = new List<StoredEvent>();
        await ReadAsync(connection, DayScanSql(tables, where, direction, wanted), parameters, query, scanned, cancellationToken).ConfigureAwait(false);
        return scanned;
    }

    private static async Task ReadAsync(
        SqliteConnection connection, string sql, IReadOnlyList<KeyValuePair<string, object>> parameters, EventQuery query,
        List<StoredEvent> results, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        Bind(command, parameters, query);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            results.Add(ReadEvent(reader));
        }
    }

    private static void Bind(SqliteCommand command, IReadOnlyList<KeyValuePair<string, object>> parameters, EventQuery query)
    {
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value);
        }
        if (query.FromUs is { } from)
        {
            command.Parameters.AddWithValue("$from", from);
        }
        if (query.ToUs is { } to)
        {
            command.Parameters.AddWithValue("$to", to);
        }
    }

    private static StoredEvent ReadEvent(SqliteDataReader r) => new()
    {
        EventId = r.GetString(0),
        AgentId = r.GetString(1),
        Sequence = r.GetInt64(2),
        EventType = r.GetString(3),
        EventTimeUs = r.GetInt64(4),
        Host = Text(r, 5),
        HostIp = Text(r, 6),
        UserName = Text(r, 7),
        UniquePid = Text(r, 8),
        ParentUniquePid = Text(r, 9),
        Pid = Number(r, 10),
        ProcessName = Text(r, 11),
        ProcessPath = Text(r, 12),
        CommandLine = Text(r, 13),
        FilePath = Text(r, 14),
        FileName = Text(r, 15),
        Md5 = Text(r, 16),
        Sha256 = Text(r, 17),
        LocalIp = Text(r, 18),
        LocalPort = Number(r, 19),
        RemoteIp = Text(r, 20),
        RemotePort = Number(r, 21),
        Protocol = Text(r, 22),
        DnsName = Text(r, 23),
        Attrs = Text(r, 24),
    };

    private static string? Text(SqliteDataReader r, int i) => r.IsDBNull(i) ? null : r.GetString(i);

    private static long? Number(SqliteDataReader r, int i) => r.IsDBNull(i) ? null : r.GetInt64(i);

}
