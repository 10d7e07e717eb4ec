using System.Diagnostics;
using Microsoft.Data.Sqlite;
using Osprey.Node.Ingest;
using Osprey.Node.Storage;
using Osprey.Testing.Paths;
using Osprey.Testing.Processes;
using Osprey.Testing.Simulator;

namespace Osprey.Bench;

/// <summary>
/// (a) Ingest: a real osprey-node process, N simulated agents over mTLS sending batches for a fixed time;
/// beside it the raw SQLite insert rate of the same rows into the same table, measured in the same run, on one
/// connection and on two connections to two files at once (as the node's two writers do).
/// </summary>
public static class IngestBenchmark
{
    public static async Task<int> RunAsync(int agentCount, int seconds, int batchSize, CancellationToken cancellationToken)
    {
        await using var node = await NodeProcess.InitAsync(cancellationToken);
        await node.StartAsync(cancellationToken);
        var cli = new OspreyCli(node.Url, node.AdminToken, node.Pin);
        var token = (await cli.RunAsync("tokens", "create", "--uses", agentCount.ToString(System.Globalization.CultureInfo.InvariantCulture))).Stdout.Trim();
        var agents = new List<(SimulatedAgent Agent, BatchPump Pump)>();
        for (var i = 0; i < agentCount; i++)
        {
            var agent = await SimulatedAgent.EnrollAsync(node.Url, token, node.Pin, $"bench-{i:000}", cancellationToken);
            agents.Add((agent, new BatchPump(agent.AgentId, $"bench-{i:000}", i, batchSize)));
        }

        long acknowledged = 0;
        var clock = Stopwatch.StartNew();
        var deadline = TimeSpan.FromSeconds(seconds);
        var baseTime = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() * 1000;
        var senders = agents.Select(a => Task.Run(async () =>
        {
            while (clock.Elapsed < deadline)
            {
                var batch = a.Pump.Next(baseTime + (long)clock.Elapsed.TotalMicroseconds);
                var ack = await a.Agent.SendAsync(batch, gzip: false, cancellationToken);
                Interlocked.Add(ref acknowledged, ack.Stored);
            }
        }, cancellationToken)).ToList();
        await Task.WhenAll(senders);
        var elapsed = clock.Elapsed.TotalSeconds;
        var ingestRate = acknowledged / elapsed;
        foreach (var (agent, _) in agents)
        {
            agent.Dispose();
        }
        await node.StopAsync();

        var rawRows = (int)Math.Clamp(acknowledged / 4, 200_000, 2_000_000);
        var rawRate = rawRows / RawInsertSeconds(PrepareRows(agents[0].Pump, agents[0].Agent.AgentId, rawRows), batchSize);
        // The node writes through two files by default: the same raw inserts from two threads into two files at once.
        var halves = agents.Take(2).Select(a => PrepareRows(a.Pump, a.Agent.AgentId, rawRows / 2)).ToList();
        var both = Stopwatch.StartNew();
        await Task.WhenAll(halves.Select(rows => Task.Run(() => RawInsertSeconds(rows, batchSize), cancellationToken)));
        var twoFilesRate = halves.Sum(h => h.Count) / both.Elapsed.TotalSeconds;
        Figures.Print("ingest_agents", agentCount, "agents");
        Figures.Print("ingest_duration", elapsed, "s");
        Figures.Print("ingest_events_total", acknowledged, "events");
        Figures.Print("ingest_rate", ingestRate, "events/s");
        Figures.Print("raw_sqlite_insert_rate", rawRate, "rows/s");
        Figures.Print("ingest_vs_raw", 100 * ingestRate / rawRate, "%");
        Figures.Print("raw_sqlite_insert_rate_two_files", twoFilesRate, "rows/s");
        Figures.Print("ingest_vs_raw_two_files", 100 * ingestRate / twoFilesRate, "%");
        return 0;
    }

    private static List<StoredEvent> PrepareRows(BatchPump pump, string agentId, int rows)
    {
        var prepared = new List<StoredEvent>(rows);
        var baseTime = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() * 1000;
        while (prepared.Count < rows)
        {
            foreach (var e in pump.Next(baseTime + prepared.Count))
            {
                prepared.Add(EventColumns.Extract(e, agentId, Google.Protobuf.MessageExtensions.ToByteArray(e)));
            }
        }
        return prepared;
    }

    /// <summary>
    /// Seconds to insert pre-extracted rows through bare prepared inserts (the same C-API statement the node's
    /// writer uses) into the node's day-table schema in a new file, one transaction per batch group.
    /// </summary>
    private static double RawInsertSeconds(List<StoredEvent> prepared, int batchSize)
    {
        using var dir = new TempDirectory("osprey-bench-raw");
        // Same file settings, pragmas and table as the node's events database.
        using var connection = SqliteConnections.Open(Path.Combine(dir.Path, "raw.db"), SqliteEventStore.CreationPragmas);
        using (var ddl = connection.CreateCommand())
        {
            ddl.CommandText = SqliteEventStore.WriterPragmas + SqliteEventStore.PartitionDdl("events_raw");
            ddl.ExecuteNonQuery();
        }
        using var insert = new EventInsertStatement(connection, "events_raw");
        var clock = Stopwatch.StartNew();
        // Same grouping the node uses under load: several batches per commit.
        var group = batchSize * 8;
        for (var start = 0; start < prepared.Count; start += group)
        {
            using var transaction = connection.BeginTransaction();
            for (var i = start; i < Math.Min(start + group, prepared.Count); i++)
            {
                insert.Insert(prepared[i]);
            }
            transaction.Commit();
        }
        return clock.Elapsed.TotalSeconds;
    }
}
