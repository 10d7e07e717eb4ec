using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.Logging.Abstractions;
using Osprey.Contracts.V1;
using Osprey.Node.Hosting;
using Osprey.Node.Ingest;
using Osprey.Node.Storage;
using Osprey.Testing.Simulator;

namespace Osprey.Bench;

/// <summary>
/// (b) Query: latency of representative hunting queries on a store of N events spread over D days, measured
/// through the node's event store (the same code the operator API calls). Needles (one rare hash, process and
/// command line) are planted so the selective queries have a known answer.
/// </summary>
public static class QueryBenchmark
{
    internal const string NeedleSha256 = "5e1ec7ed5e1ec7ed5e1ec7ed5e1ec7ed5e1ec7ed5e1ec7ed5e1ec7ed5e1ec7ed";
    private const string NeedleCommand = "needle-7f3a9c --exfiltrate";

    public static async Task<int> RunAsync(long total, int days, string? dataDir, CancellationToken cancellationToken)
    {
        var dir = dataDir ?? Directory.CreateTempSubdirectory("osprey-bench-query-").FullName;
        var path = Path.Combine(dir, "events.db");
        var fresh = !File.Exists(path);
        await using var store = new SqliteEventStore(path, TimeProvider.System, NullLogger<SqliteEventStore>.Instance);
        store.Initialize();
        var end = DateTimeOffset.UtcNow.AddMinutes(-5);
        var start = end.AddDays(-days);
        string needlePid;
        if (fresh)
        {
            var clock = Stopwatch.StartNew();
            needlePid = await FillAsync(store, total, NodeClock.ToUs(start), NodeClock.ToUs(end), cancellationToken);
            Figures.Print("query_fill_rate", total / clock.Elapsed.TotalSeconds, "events/s");
            await File.WriteAllTextAsync(Path.Combine(dir, "needle.txt"), needlePid, cancellationToken);
        }
        else
        {
            needlePid = await File.ReadAllTextAsync(Path.Combine(dir, "needle.txt"), cancellationToken);
        }
        var stored = await store.CountAsync(new EventQuery(), cancellationToken);
        Figures.Print("query_events_stored", stored, "events");
        Figures.Print("query_partitions", store.Partitions().Count, "days");

        var hourFrom = NodeClock.ToUs(end.AddHours(-30));
        var dayFrom = NodeClock.ToUs(end.AddDays(-1));
        var queries = new (string Name, EventQuery Query, int Expect)[]
        {
            ("query_by_sha256", new EventQuery { Query = $"Sha256 = \"{NeedleSha256}\"" }, 1),
            ("query_by_unique_pid", new EventQuery { Query = $"UniquePid = \"{needlePid}\"" }, 1),
            ("query_host_time_range", new EventQuery { Query = "Host = \"bench-003\"", FromUs = hourFrom, ToUs = hourFrom + 3_600_000_000 }, -1),
            ("query_substring_common", new EventQuery { Query = "CommandLine CONTAINS \"install-42\"" }, -1),
            ("query_substring_rare_24h", new EventQuery { Query = $"CommandLine CONTAINS \"{NeedleCommand[..12]}\"", FromUs = dayFrom }, 1),
            ("query_substring_rare_all", new EventQuery { Query = $"CommandLine CONTAINS \"{NeedleCommand[..12]}\"" }, 1),
            ("query_type_and_port", new EventQuery { Query = "EventType = \"NetworkConnection\" AND RemotePort = 4444", FromUs = dayFrom }, -1),
        };
        foreach (var (name, query, expect) in queries)
        {
            var timings = new List<double>();
            EventPage? page = null;
            for (var i = 0; i < 5; i++)
            {
                var clock = Stopwatch.StartNew();
                page = await store.SearchAsync(query, cancellationToken);
                timings.Add(clock.Elapsed.TotalMilliseconds);
            }
            if (expect >= 0 && page!.Events.Count != expect)
            {
                throw new InvalidOperationException($"{name}: expected {expect} events, found {page.Events.Count}");
            }
            timings.Sort();
            Figures.Print(name + "_p50", timings[2], "ms");
            Figures.Print(name + "_rows", page!.Events.Count, "events");
        }
        if (dataDir is null)
        {
            Directory.Delete(dir, recursive: true);
        }
        return 0;
    }

    internal static async Task<string> FillAsync(SqliteEventStore store, long total, long startUs, long endUs, CancellationToken cancellationToken)
    {
        const int Agents = 10, BatchSize = 4096;
        var perAgent = total / Agents;
        var step = (endUs - startUs) / Math.Max(1, perAgent);
        var producers = Enumerable.Range(0, Agents).Select(a => Task.Run(async () =>
        {
            var agentId = Guid.NewGuid().ToString("D");
            var pump = new BatchPump(agentId, $"bench-{a:000}", a, BatchSize);
            for (long sent = 0; sent < perAgent; sent += BatchSize)
            {
                var batch = pump.Next(startUs + sent * step);
                var events = batch.Take((int)Math.Min(BatchSize, perAgent - sent)).ToList();
                foreach (var e in events)
                {
                    e.TimeUs = startUs + (long)(e.Sequence - 1) * step;
                }
                await store.IngestAsync(agentId, ReceivedBatch.Of(events, agentId), cancellationToken);
            }
        }, cancellationToken)).ToList();
        await Task.WhenAll(producers);

        var needleAgent = Guid.NewGuid().ToString("D");
        var generator = new SyntheticEvents(needleAgent, "needle-host", 99);
        var needle = generator.Create(EventType.ProcessStart, 1, endUs - 3_600_000_000);
        needle.Process.File.Sha256 = NeedleSha256;
        needle.Process.CommandLine = NeedleCommand;
        needle.Process.UniquePid = "00112233445566778899aabbccddeeff";
        await store.IngestAsync(needleAgent, ReceivedBatch.Of([needle], needleAgent), cancellationToken);
        return needle.Process.UniquePid;
    }
}
