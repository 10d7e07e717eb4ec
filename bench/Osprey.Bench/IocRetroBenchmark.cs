using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using Osprey.Detection.OpenIoc;
using Osprey.Node.Detection;
using Osprey.Node.Hosting;
using Osprey.Node.Storage;

namespace Osprey.Bench;

/// <summary>
/// (c) IOC retro: N indicators (hashes, process names, remote addresses and ports, DNS names; one hash planted in the
/// data) run retrospectively over a store of M events through the node's own scan (the code behind
/// POST /api/v1/rules/ioc/retro and /api/v1/events/search-ioc). The store is the query benchmark's and can be kept.
/// </summary>
public static class IocRetroBenchmark
{
    public static Command Command()
    {
        var events = new Option<long>("--events") { DefaultValueFactory = _ => 10_000_000, Description = "Events in the store (filled when the data directory is new)" };
        var days = new Option<int>("--days") { DefaultValueFactory = _ => 10, Description = "Days the events span" };
        var indicators = new Option<int>("--indicators") { DefaultValueFactory = _ => 100, Description = "Indicators in the IOC document" };
        var data = new Option<string?>("--data") { Description = "Data directory to keep the store in (reused when it holds one)" };
        var command = new Command("ioc-retro", "IOC indicators retrospectively over a large events store") { events, days, indicators, data };
        command.SetAction((parse, ct) => RunAsync(parse.GetValue(events), parse.GetValue(days), parse.GetValue(indicators), parse.GetValue(data), ct));
        return command;
    }

    private static async Task<int> RunAsync(long total, int days, int indicators, string? dataDir, CancellationToken cancellationToken)
    {
        var dir = dataDir ?? Directory.CreateTempSubdirectory("osprey-bench-ioc-").FullName;
        Directory.CreateDirectory(dir);
        var path = Path.Combine(dir, "events.db");
        await using (var store = new SqliteEventStore(path, TimeProvider.System, NullLogger<SqliteEventStore>.Instance))
        {
            store.Initialize();
            if (store.Partitions().Count == 0)
            {
                var end = DateTimeOffset.UtcNow.AddMinutes(-5);
                var clock = Stopwatch.StartNew();
                await QueryBenchmark.FillAsync(store, total, NodeClock.ToUs(end.AddDays(-days)), NodeClock.ToUs(end), cancellationToken);
                Figures.Print("ioc_retro_fill_rate", total / clock.Elapsed.TotalSeconds, "events/s");
            }
            var stored = await store.CountAsync(new EventQuery(), cancellationToken);
            Figures.Print("ioc_retro_events_stored", stored, "events");

            var parsed = IocParser.Parse(Document(indicators), "bench.ioc");
            var document = parsed.Document ?? throw new InvalidOperationException(parsed.Message);
            var rule = IocImport.ToStored(parsed, "", "bench", 0).Rule;
            var index = new IocRuleIndex([(document, rule)]);
            var retro = new IocRetroScan(store, null!, TimeProvider.System);
            IocRetroResult? result = null;
            var timings = new List<double>();
            for (var run = 0; run < 3; run++)
            {
                result = await retro.RunAsync(index, null, null, raiseAlerts: false, maxEvents: 1_000, cancellationToken);
                timings.Add(result.Elapsed.TotalSeconds);
            }
            timings.Sort();
            if (result!.Matched < 1)
            {
                throw new InvalidOperationException("the planted hash was not found");
            }
            Figures.Print("ioc_retro_indicators", document.Indicators.Count, "indicators");
            Figures.Print("ioc_retro_seconds_p50", timings[1], "s");
            Figures.Print("ioc_retro_events_per_second", stored / timings[1], "events/s");
            Figures.Print("ioc_retro_candidates", result.Candidates, "events");
            Figures.Print("ioc_retro_matched", result.Matched, "events");
        }
        if (dataDir is null)
        {
            Directory.Delete(dir, recursive: true);
        }
        return 0;
    }

    /// <summary>
    /// An OpenIOC 1.1 document of <paramref name="count"/> indicators as threat feeds carry them: half file hashes, then
    /// process names, remote addresses and ports, DNS names; all rare except the one planted SHA-256.
    /// </summary>
    private static string Document(int count)
    {
        var text = new StringBuilder();
        for (var i = 0; i < count; i++)
        {
            var (search, type, value) = (i % 10) switch
            {
                0 when i == 0 => ("FileItem/Sha256sum", "sha256", QueryBenchmark.NeedleSha256),
                < 4 => ("FileItem/Md5sum", "md5", Convert.ToHexStringLower(MD5.HashData(BitConverter.GetBytes(i)))),
                < 5 => ("FileItem/Sha256sum", "sha256", Convert.ToHexStringLower(SHA256.HashData(BitConverter.GetBytes(i)))),
                < 7 => ("ProcessItem/name", "string", $"implant-{i}"),
                < 8 => ("PortItem/remoteIP", "IP", $"203.0.113.{i % 250}"),
                < 9 => ("PortItem/remotePort", "int", (31_000 + i).ToString(CultureInfo.InvariantCulture)),
                _ => ("DnsEntryItem/Host", "string", $"c2-{i}.evil.example"),
            };
            text.Append(CultureInfo.InvariantCulture, $"""
                <Indicator operator="OR" id="ind-{i}"><IndicatorItem id="item-{i}" condition="is"><Context document="{search.Split('/')[0]}" search="{search}" type="mir"/><Content type="{type}">{value}</Content></IndicatorItem></Indicator>
                """);
        }
        return $"""
            <?xml version="1.0" encoding="utf-8"?>
            <OpenIOC xmlns="http://openioc.org/schemas/OpenIOC_1.1" id="bench" last-modified="2024-01-01T00:00:00Z" published-date="0001-01-01T00:00:00">
              <metadata><short_description>bench</short_description><authored_date>2024-01-01T00:00:00Z</authored_date></metadata>
              <criteria>{text}</criteria>
            </OpenIOC>
            """;
    }
}
