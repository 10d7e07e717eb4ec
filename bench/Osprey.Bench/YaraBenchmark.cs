using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Osprey.Detection.Yara;
using Osprey.Testing.Paths;
using Osprey.Testing.Processes;

namespace Osprey.Bench;

/// <summary>
/// (detection b) YARA: MB/s of Osprey's tree scan over a tree of real files (copies of /usr/lib/x86_64-linux-gnu and
/// /usr/bin, cycled to the size asked for; built once and kept under /var/tmp) with one thread and two, beside the
/// <c>yara -r</c> command (Debian's, on the same libyara) with <c>-p 1</c> and <c>-p 2</c> on the same rules and tree.
/// The command scans precompiled rules (yarac), so neither side's time includes compiling. Each side runs once
/// untimed first (warm page cache), then the timed runs alternate between the two; the best of --repeat runs counts.
/// </summary>
public static class YaraBenchmark
{
    private const long MaxSourceFile = 64L << 20;

    public static Command Command()
    {
        var size = new Option<int>("--size-mb") { DefaultValueFactory = _ => 1024, Description = "Size of the tree of real files" };
        var rules = new Option<string?>("--rules") { Description = "Rule directory (.yar/.yara, recursively; default: the Linux subsets of the shared YARA corpus)" };
        var repeat = new Option<int>("--repeat") { DefaultValueFactory = _ => 1, Description = "Timed runs per side and thread count (the best counts)" };
        var command = new Command("yara", "MB/s of Osprey's YARA tree scan beside yara -r, one thread and two") { size, rules, repeat };
        command.SetAction((parse, ct) => RunAsync(Math.Clamp(parse.GetValue(size), 16, 16_384), parse.GetValue(rules), Math.Clamp(parse.GetValue(repeat), 1, 10), ct));
        return command;
    }

    private static async Task<int> RunAsync(int sizeMb, string? rulesDirectory, int repeat, CancellationToken cancellationToken)
    {
        var files = RuleFiles(rulesDirectory);
        var tree = $"/var/tmp/osprey-bench-yara-{sizeMb}mb";
        var bytes = BuildTree(tree, (long)sizeMb << 20);
        var sources = files.Select(f => new YaraSource(Namespace(f), File.ReadAllText(f))).ToList();
        using var rules = YaraCompiler.Build(sources);
        var compiled = Path.Combine(Path.GetTempPath(), $"osprey-bench-yara-{Environment.ProcessId}.yarc");
        try
        {
            var yarac = await CommandRunner.RunAsync("yarac", [.. Externals(), .. files.Select(f => $"{Namespace(f)}:{f}"), compiled], timeout: TimeSpan.FromMinutes(5), cancellationToken: cancellationToken);
            if (yarac.ExitCode != 0)
            {
                throw new InvalidOperationException($"yarac failed: {yarac.Stderr}");
            }
            Console.Error.WriteLine($"{rules.RuleCount} rules from {files.Count} files; tree {tree}: {bytes >> 20} MiB");

            // Untimed: the page cache holds the tree for both sides.
            await CliAsync(compiled, tree, 1, cancellationToken);
            Osprey(rules, tree, 1, cancellationToken);

            var results = new Dictionary<string, (double Seconds, long Matches)>(StringComparer.Ordinal);
            foreach (var threads in new[] { 1, 2 })
            {
                for (var i = 0; i < repeat; i++)
                {
                    Keep(results, $"osprey-{threads}", Osprey(rules, tree, threads, cancellationToken));
                    Keep(results, $"yara-{threads}", await CliAsync(compiled, tree, threads, cancellationToken));
                }
            }
            var mb = bytes / 1_048_576.0;
            Figures.Print("yara tree size", mb, "MiB");
            Figures.Print("yara rules", rules.RuleCount, "rules");
            foreach (var threads in new[] { 1, 2 })
            {
                var ours = mb / results[$"osprey-{threads}"].Seconds;
                var theirs = mb / results[$"yara-{threads}"].Seconds;
                Figures.Print($"osprey yara {threads} thread{(threads > 1 ? "s" : "")}", ours, "MB/s");
                Figures.Print($"yara -r -p {threads}", theirs, "MB/s");
                Figures.Print($"osprey/yara ratio {threads} thread{(threads > 1 ? "s" : "")}", ours / theirs, "x");
                Figures.Print($"osprey matches {threads} thread{(threads > 1 ? "s" : "")}", results[$"osprey-{threads}"].Matches, "pairs");
                Figures.Print($"yara -r matches -p {threads}", results[$"yara-{threads}"].Matches, "pairs");
            }
            return 0;
        }
        finally
        {
            File.Delete(compiled);
        }
    }

    private static void Keep(Dictionary<string, (double Seconds, long Matches)> results, string key, (double Seconds, long Matches) run)
    {
        Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{key}: {run.Seconds:0.000} s, {run.Matches} matches"));
        if (!results.TryGetValue(key, out var best) || run.Seconds < best.Seconds)
        {
            results[key] = run;
        }
    }

    private static (double Seconds, long Matches) Osprey(YaraRules rules, string tree, int threads, CancellationToken cancellationToken)
    {
        long matches = 0;
        var clock = Stopwatch.StartNew();
        YaraTreeScan.Run(rules, new YaraTreeOptions { Paths = [tree], Threads = threads, Scan = new YaraScanSettings { TimeoutSeconds = 0 } },
            file => matches += file.Hits.Count, cancellationToken);
        return (clock.Elapsed.TotalSeconds, matches);
    }

    private static async Task<(double Seconds, long Matches)> CliAsync(string compiled, string tree, int threads, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        var run = await CommandRunner.RunAsync("yara", ["-C", "-r", "-N", "-w", "-p", threads.ToString(CultureInfo.InvariantCulture), compiled, tree],
            timeout: TimeSpan.FromMinutes(30), cancellationToken: cancellationToken);
        var seconds = clock.Elapsed.TotalSeconds;
        if (run.ExitCode != 0)
        {
            throw new InvalidOperationException($"yara failed ({run.ExitCode}): {run.Stderr}");
        }
        return (seconds, run.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).LongLength);
    }

    private static string[] Externals() => [.. YaraExternals.Names.SelectMany(n => new[] { "-d", $"{n}=" })];

    private static List<string> RuleFiles(string? directory)
    {
        IEnumerable<string> roots;
        if (directory is not null)
        {
            roots = [directory];
        }
        else
        {
            var corpus = Path.GetFullPath(Path.Combine(RepositoryPaths.Root, "..", "shared", "corpora", "yara"));
            roots = new[] { "elastic-protections-artifacts", "Yara-Rules-rules", "reversinglabs-yara-rules" }.Select(s => Path.Combine(corpus, s, "linux_subset"));
        }
        var files = roots.SelectMany(r => Directory.Exists(r) ? Directory.EnumerateFiles(r, "*", SearchOption.AllDirectories) : throw new DirectoryNotFoundException($"no rule directory {r}"))
            .Where(f => directory is null || f.EndsWith(".yar", StringComparison.OrdinalIgnoreCase) || f.EndsWith(".yara", StringComparison.OrdinalIgnoreCase))
            .Order(StringComparer.Ordinal).ToList();
        return files.Count > 0 ? files : throw new InvalidOperationException("no rule files");
    }

    private static string Namespace(string file) => Path.GetFileName(Path.GetDirectoryName(file)) + "_" + Path.GetFileName(file).Replace(':', '_');

    /// <summary>The tree (built when missing): real files copied round-robin into directories of 200 until the size is reached.</summary>
    private static long BuildTree(string tree, long size)
    {
        var complete = Path.Combine(tree, ".complete");
        if (File.Exists(complete))
        {
            return long.Parse(File.ReadAllText(complete), CultureInfo.InvariantCulture);
        }
        if (Directory.Exists(tree))
        {
            Directory.Delete(tree, recursive: true);
        }
        var sources = new[] { "/usr/lib/x86_64-linux-gnu", "/usr/bin" }
            .SelectMany(d => new DirectoryInfo(d).EnumerateFiles("*", new EnumerationOptions { RecurseSubdirectories = true, IgnoreInaccessible = true, AttributesToSkip = FileAttributes.ReparsePoint }))
            .Where(f => f.LinkTarget is null && f.Length is > 0 and <= MaxSourceFile)
            .OrderBy(f => f.FullName, StringComparer.Ordinal).ToList();
        Console.Error.WriteLine($"building {tree} ({size >> 20} MiB from {sources.Count} files)");
        long total = 0;
        var count = 0;
        while (total < size)
        {
            foreach (var source in sources)
            {
                if (total >= size)
                {
                    break;
                }
                var directory = Path.Combine(tree, (count / 200).ToString("D5", CultureInfo.InvariantCulture));
                if (count % 200 == 0)
                {
                    Directory.CreateDirectory(directory);
                }
                source.CopyTo(Path.Combine(directory, $"{count:D6}-{source.Name}"));
                total += source.Length;
                count++;
            }
        }
        File.WriteAllText(complete, total.ToString(CultureInfo.InvariantCulture));
        return total;
    }
}
