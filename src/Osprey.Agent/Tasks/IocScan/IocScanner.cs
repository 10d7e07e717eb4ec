using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using Osprey.Agent.Sensors.Hashing;
using Osprey.Agent.Sensors.Network;
using Osprey.Agent.Sensors.Processes;
using Osprey.Contracts.V1;
using Osprey.Detection.OpenIoc;

namespace Osprey.Agent.Tasks.IocScan;

/// <summary>
/// The IOC scan: OpenIOC 1.0 / 1.1 indicators evaluated against the live system — processes, sockets, files (a bounded
/// walk), the neighbour table, the hosts file, local accounts and the device — reporting per indicator whether it was
/// detected, the objects it was detected in and the branch (Indicator and IndicatorItem ids) that matched. Only the
/// item types the indicators name are read, and file hashes only when a hash term asks for them.
/// </summary>
internal sealed class IocScanner(ProcessTable processes, FileHasher hasher, UserDirectory users)
{
    /// <summary>
    /// Runs the scan the parameters describe. Objects that cannot be examined go to <paramref name="error"/> (name,
    /// errno, message); a task that cannot run at all (no usable IOC file, bounds too high) throws <see cref="TaskFailedException"/>.
    /// </summary>
    public IocScanResult Scan(IocScanParams p, Action<string, int, string> error, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        var limits = Limits.From(p);
        var result = new IocScanResult();
        var documents = Parse(p, result);
        var evaluator = new IocEvaluator(IocTermCatalog.Endpoint);
        var needed = documents.SelectMany(d => d.Document.Indicators).SelectMany(i => i.Items())
            .Where(i => evaluator.Terms.IsKnown(i.Search)).Select(i => i.Document).ToHashSet(StringComparer.OrdinalIgnoreCase);
        var objects = new IocObjectSet([]);
        var files = Collect(documents, needed, limits, objects, result, error, cancellationToken);
        foreach (var (name, document) in documents)
        {
            foreach (var indicator in document.Indicators)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var outcome = evaluator.Evaluate(indicator, objects, limits.MaxObjects);
                var reported = new IndicatorResult
                {
                    IocFileName = name,
                    IocId = document.Id,
                    Title = document.Title,
                    IndicatorId = indicator.Id,
                    Detected = outcome.Detected,
                    ObjectsTruncated = outcome.ObjectsTruncated,
                };
                reported.MatchedBranch.AddRange(outcome.MatchedBranch);
                reported.Objects.AddRange(outcome.Objects.Cast<ScanObject>().Select(o => o.ToProto()));
                reported.Warnings.AddRange(outcome.Warnings);
                result.Indicators.Add(reported);
            }
        }
        result.FilesHashed = (ulong)(files?.Hashed ?? 0);
        result.DurationMs = (ulong)clock.ElapsedMilliseconds;
        return result;
    }

    /// <summary>Every file that parses; the others are named in the result's warnings (all failing fails the task).</summary>
    private static List<(string Name, IocDocument Document)> Parse(IocScanParams p, IocScanResult result)
    {
        if (p.IocFiles.Count == 0)
        {
            throw new TaskFailedException(22, "the task names no IOC file");
        }
        var documents = new List<(string, IocDocument)>();
        var problems = new List<string>();
        foreach (var file in p.IocFiles)
        {
            var name = file.Name.Length is > 0 and <= 1024 ? file.Name : "(unnamed)";
            if (file.Sha256.Length > 0 && !string.Equals(Convert.ToHexStringLower(SHA256.HashData(file.Content.Span)), file.Sha256, StringComparison.OrdinalIgnoreCase))
            {
                problems.Add($"{name}: the content does not match its SHA-256 {file.Sha256}");
                continue;
            }
            var parsed = IocParser.Parse(file.Content.Memory, name);
            if (parsed.Document is null)
            {
                problems.Add(parsed.Message);
                continue;
            }
            result.Warnings.AddRange(parsed.Warnings.Select(w => $"{name}: {w}"));
            documents.Add((name, parsed.Document));
        }
        result.Warnings.AddRange(problems);
        if (documents.Count == 0)
        {
            throw new TaskFailedException(22, $"none of the {p.IocFiles.Count} IOC files could be used: {string.Join("; ", problems)}");
        }
        return documents;
    }

    /// <summary>Reads the objects of the item types the indicators name; the files' context (for the count of files hashed) when files were walked.</summary>
    private FileScanContext? Collect(
        List<(string Name, IocDocument Document)> documents, HashSet<string> needed, Limits limits, IocObjectSet objects, IocScanResult result,
        Action<string, int, string> error, CancellationToken cancellationToken)
    {
        FileScanContext? files = null;
        void Error(string path, string message) => error(path, 5, message);

        if (needed.Contains("ProcessItem") || needed.Contains("PortItem"))
        {
            var running = new List<ProcessObject>();
            foreach (var pid in ProcFs.ListPids())
            {
                cancellationToken.ThrowIfCancellationRequested();
                if (processes.Get(pid) is { } info && running.Count < IocScanDefaults.MaxListed)
                {
                    running.Add(new ProcessObject(info, users.UserName(info.Uid)));
                }
            }
            result.ProcessesExamined = (uint)running.Count;
            if (needed.Contains("ProcessItem"))
            {
                running.ForEach(objects.Add);
            }
        }
        if (needed.Contains("PortItem"))
        {
            var sockets = ProcSocket.ReadAll("/proc/net", IocScanDefaults.MaxListed);
            var owners = new SocketOwners(processes, sockets.Count + 16);
            owners.Resolve(sockets.Select(s => s.Inode), allowFullScan: true);
            foreach (var socket in sockets)
            {
                objects.Add(new PortObject(socket, socket.Inode == 0 ? null : owners.Cached(socket.Inode)));
            }
            result.PortsExamined = (uint)sockets.Count;
        }
        if (needed.Contains("FileItem"))
        {
            var roots = new HashSet<WalkRoot>();
            foreach (var indicator in documents.SelectMany(d => d.Document.Indicators))
            {
                roots.UnionWith(FileScope.Roots(indicator, IocTermCatalog.Endpoint, limits.MaxDepth) ?? limits.Roots.Select(r => new WalkRoot(r, limits.MaxDepth)));
            }
            var walk = FileWalk.Run(Deduplicate(roots), limits.MaxFiles, Error, cancellationToken);
            files = new FileScanContext(hasher, users, limits.MaxHashBytes, Error);
            foreach (var (path, status) in walk.Files)
            {
                objects.Add(new FileObject(path, status, files));
            }
            result.FilesExamined = (ulong)walk.Examined;
            if (walk.Truncated)
            {
                result.Warnings.Add(string.Create(CultureInfo.InvariantCulture, $"the file walk stopped after {limits.MaxFiles} entries (max_files); files beyond were not examined"));
            }
        }
        if (needed.Contains("ArpEntryItem"))
        {
            var neighbours = NeighbourTable.Read(IocScanDefaults.MaxListed, out var problem);
            foreach (var entry in neighbours)
            {
                objects.Add(new ArpObject(entry));
            }
            if (problem is not null)
            {
                result.Warnings.Add(problem);
            }
        }
        if (needed.Contains("UserItem"))
        {
            UserObject.ReadPasswd("/etc/passwd", IocScanDefaults.MaxListed).ForEach(objects.Add);
        }
        if (needed.Contains("DnsEntryItem"))
        {
            if (File.Exists("/etc/hosts"))
            {
                DnsObject.ReadHosts("/etc/hosts", IocScanDefaults.MaxListed).ForEach(objects.Add);
            }
        }
        if (needed.Contains("SystemInfoItem"))
        {
            objects.Add(SystemInfoObject.Read());
        }
        return files;
    }

    /// <summary>The roots without those another root already covers (an ancestor walked at least as deep below them).</summary>
    internal static List<WalkRoot> Deduplicate(IEnumerable<WalkRoot> roots)
    {
        var list = roots.Distinct().OrderBy(r => r.Path, StringComparer.Ordinal).ToList();
        return [.. list.Where(r => !list.Any(a => a != r && Covers(a, r)))];

        static bool Covers(WalkRoot ancestor, WalkRoot root)
        {
            if (ancestor.Path == root.Path)
            {
                return ancestor.MaxDepth > root.MaxDepth;
            }
            var prefix = ancestor.Path == "/" ? "/" : ancestor.Path + "/";
            if (!root.Path.StartsWith(prefix, StringComparison.Ordinal))
            {
                return false;
            }
            var below = root.Path[prefix.Length..].Split('/', StringSplitOptions.RemoveEmptyEntries).Length;
            return ancestor.MaxDepth >= below + root.MaxDepth;
        }
    }

    /// <summary>The task's bounds with defaults applied; a bound beyond what an agent allows fails the task.</summary>
    private sealed record Limits(int MaxObjects, int MaxFiles, int MaxDepth, long MaxHashBytes, IReadOnlyList<string> Roots)
    {
        public static Limits From(IocScanParams p)
        {
            if (p.MaxObjectsPerIndicator > IocScanDefaults.MaxObjectsPerIndicatorLimit || p.MaxFiles > IocScanDefaults.MaxFilesLimit || p.MaxDepth > IocScanDefaults.MaxDepthLimit)
            {
                throw new TaskFailedException(22, string.Create(CultureInfo.InvariantCulture,
                    $"bounds too high: at most {IocScanDefaults.MaxObjectsPerIndicatorLimit} objects per indicator, {IocScanDefaults.MaxFilesLimit} files, depth {IocScanDefaults.MaxDepthLimit}"));
            }
            if (p.FileRoots.Count > IocScanDefaults.MaxRoots)
            {
                throw new TaskFailedException(22, $"at most {IocScanDefaults.MaxRoots} file roots");
            }
            if (p.FileRoots.Select(r => TaskPaths.Problem(r) is { } problem ? $"file root '{r}': {problem}" : null).FirstOrDefault(m => m is not null) is { } bad)
            {
                throw new TaskFailedException(22, bad);
            }
            return new Limits(
                p.MaxObjectsPerIndicator > 0 ? (int)p.MaxObjectsPerIndicator : IocScanDefaults.MaxObjectsPerIndicator,
                p.MaxFiles > 0 ? (int)p.MaxFiles : IocScanDefaults.MaxFiles,
                p.MaxDepth > 0 ? (int)p.MaxDepth : IocScanDefaults.MaxDepth,
                p.MaxHashBytes > 0 ? (long)Math.Min(p.MaxHashBytes, long.MaxValue) : IocScanDefaults.MaxHashBytes,
                p.FileRoots.Count > 0 ? [.. p.FileRoots] : IocScanDefaults.FileRoots);
        }
    }
}
