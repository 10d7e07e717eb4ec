using System.CommandLine;
using System.Diagnostics;
using Google.Protobuf;
using Osprey.Agent.Sensors.Hashing;
using Osprey.Agent.Sensors.Processes;
using Osprey.Agent.Tasks.IocScan;
using Osprey.Contracts.V1;
using Osprey.Detection.OpenIoc;
using Osprey.Testing.Paths;

namespace Osprey.Bench;

/// <summary>
/// osprey-bench ioc-scan: (1) the evaluator — every indicator of the OpenIOC corpus against a synthetic endpoint
/// (files, processes, sockets, hosts entries), indicators/s and item tests/s on one thread; (2) the agent's scan of
/// this machine with the same indicators — time, files walked and hashed, processes, sockets.
/// </summary>
internal static class IocScanBenchmark
{
    public static Command Command()
    {
        var iocs = new Option<string?>("--iocs") { Description = "OpenIOC files or a directory (default: openioc of the shared corpora)" };
        var files = new Option<int>("--files") { DefaultValueFactory = _ => 100_000, Description = "Synthetic files for the evaluator run" };
        var rounds = new Option<int>("--rounds") { DefaultValueFactory = _ => 5, Description = "Evaluator rounds over every indicator" };
        var noLive = new Option<bool>("--no-live") { Description = "Skip the scan of this machine" };
        var command = new Command("ioc-scan", "OpenIOC evaluation indicators/s on a synthetic endpoint, and the agent's IOC scan of this machine") { iocs, files, rounds, noLive };
        command.SetAction((parse, ct) => Task.FromResult(Run(parse.GetValue(iocs), parse.GetValue(files), parse.GetValue(rounds), !parse.GetValue(noLive), ct)));
        return command;
    }

    private static int Run(string? path, int fileCount, int rounds, bool live, CancellationToken cancellationToken)
    {
        path ??= CorporaPaths.Require("openioc");
        var parseClock = Stopwatch.StartNew();
        var parsed = IocParser.ParsePath(path);
        parseClock.Stop();
        var documents = parsed.Where(r => r.Parsed).Select(r => r.Document!).ToList();
        var indicators = documents.SelectMany(d => d.Indicators).ToList();
        var items = indicators.Sum(i => i.Items().Count());
        Figures.Print("ioc_files", parsed.Count, "files");
        Figures.Print("ioc_files_rejected", parsed.Count - documents.Count, "files");
        Figures.Print("ioc_indicators", indicators.Count, "indicators");
        Figures.Print("ioc_items", items, "items");
        Figures.Print("ioc_parse_time", parseClock.Elapsed.TotalMilliseconds, "ms");

        var objects = Synthetic(fileCount, new Random(17));
        var evaluator = new IocEvaluator(IocTermCatalog.Endpoint);
        var detected = 0;
        var clock = Stopwatch.StartNew();
        for (var round = 0; round < rounds; round++)
        {
            foreach (var indicator in indicators)
            {
                cancellationToken.ThrowIfCancellationRequested();
                detected += evaluator.Evaluate(indicator, objects).Detected ? 1 : 0;
            }
        }
        clock.Stop();
        var evaluations = (double)rounds * indicators.Count;
        var tests = rounds * indicators.SelectMany(i => i.Items()).Where(i => evaluator.Terms.IsKnown(i.Search)).Sum(i => (double)objects.Of(i.Document).Count);
        Figures.Print("ioc_synthetic_objects", objects.Count, "objects");
        Figures.Print("ioc_synthetic_detected", detected / (double)rounds, "indicators");
        Figures.Print("ioc_indicators_per_second", evaluations / clock.Elapsed.TotalSeconds, "indicators/s");
        Figures.Print("ioc_item_tests_per_second", tests / clock.Elapsed.TotalSeconds, "tests/s");
        Figures.Print("ioc_ms_per_round", clock.Elapsed.TotalMilliseconds / rounds, "ms");

        if (live)
        {
            if (Environment.UserName != "root")
            {
                Console.Error.WriteLine("ioc-scan: not root, so the live scan sees only what this user may read");
            }
            var users = new UserDirectory();
            var hasher = new FileHasher(64L * 1024 * 1024);
            var processes = new ProcessTable(ProcessIdentity.ForThisBoot("bench"), hasher, users, []);
            var parameters = new IocScanParams();
            parameters.IocFiles.AddRange(parsed.Where(r => r.Parsed).Select(r => new IocFile { Name = r.Source, Content = ByteString.CopyFrom(File.ReadAllBytes(r.Source)) }));
            var errors = 0;
            var scanClock = Stopwatch.StartNew();
            var result = new IocScanner(processes, hasher, users).Scan(parameters, (_, _, _) => errors++, cancellationToken);
            scanClock.Stop();
            Figures.Print("ioc_live_scan_time", scanClock.Elapsed.TotalMilliseconds, "ms");
            Figures.Print("ioc_live_files_examined", result.FilesExamined, "entries");
            Figures.Print("ioc_live_files_hashed", result.FilesHashed, "files");
            Figures.Print("ioc_live_processes", result.ProcessesExamined, "processes");
            Figures.Print("ioc_live_sockets", result.PortsExamined, "sockets");
            Figures.Print("ioc_live_detected", result.Indicators.Count(i => i.Detected), "indicators");
            Figures.Print("ioc_live_errors", errors, "objects");
            foreach (var hit in result.Indicators.Where(i => i.Detected))
            {
                Console.Error.WriteLine($"detected on this machine: {hit.IocFileName} indicator {hit.IndicatorId}, branch {string.Join(" > ", hit.MatchedBranch)}, {hit.Objects.Count} objects: {string.Join("; ", hit.Objects.Take(3))}");
            }
            foreach (var warning in result.Warnings)
            {
                Console.Error.WriteLine($"warning: {warning}");
            }
        }
        return 0;
    }

    /// <summary>A busy server's worth of objects: files with names, paths and hashes, processes, sockets and hosts entries.</summary>
    private static IocObjectSet Synthetic(int files, Random random)
    {
        string Hex(int bytes) => Convert.ToHexStringLower(random.GetItems<byte>(Enumerable.Range(0, 256).Select(b => (byte)b).ToArray(), bytes));
        string[] directories = ["/usr/bin", "/usr/lib/x86_64-linux-gnu", "/etc", "/home/alice/src", "/var/lib/app", "/tmp", "/opt/tool/bin"];
        var objects = new IocObjectSet([]);
        for (var i = 0; i < files; i++)
        {
            var name = $"file{i}{(i % 3 == 0 ? ".so" : i % 3 == 1 ? ".conf" : "")}";
            var dir = directories[i % directories.Length];
            objects.Add(new BenchObject("FileItem", ("FullPath", $"{dir}/{name}"), ("FilePath", dir), ("FileName", name), ("SizeInBytes", (i * 37 % 100_000).ToString(System.Globalization.CultureInfo.InvariantCulture)),
                ("Md5sum", Hex(16)), ("Sha256sum", Hex(32))));
        }
        for (var i = 0; i < 500; i++)
        {
            objects.Add(new BenchObject("ProcessItem", ("name", $"proc{i % 60}"), ("path", $"/usr/bin/proc{i % 60}"), ("arguments", $"/usr/bin/proc{i % 60} --id {i} --config /etc/proc{i}.conf"),
                ("pid", (1000 + i).ToString(System.Globalization.CultureInfo.InvariantCulture)), ("Username", i % 4 == 0 ? "root" : "alice")));
        }
        for (var i = 0; i < 1000; i++)
        {
            objects.Add(new BenchObject("PortItem", ("remoteIP", $"198.51.{i / 250}.{i % 250}"), ("remotePort", (1024 + i).ToString(System.Globalization.CultureInfo.InvariantCulture)), ("localPort", "443"), ("protocol", "TCP")));
        }
        for (var i = 0; i < 200; i++)
        {
            objects.Add(new BenchObject("DnsEntryItem", ("Host", $"host{i}.example.net"), ("RecordName", $"host{i}.example.net")));
        }
        return objects;
    }

    private sealed class BenchObject(string document, params (string Term, string Value)[] values) : IIocObject
    {
        private readonly Dictionary<string, IReadOnlyList<string>> _values = values.ToDictionary(v => $"{document}/{v.Term}", v => (IReadOnlyList<string>)[v.Value], StringComparer.OrdinalIgnoreCase);

        public string Document => document;

        public IReadOnlyList<string>? Values(string search) => _values.GetValueOrDefault(search);
    }
}
