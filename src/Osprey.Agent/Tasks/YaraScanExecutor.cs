using System.Globalization;
using Google.Protobuf;
using Osprey.Agent.Sensors.Processes;
using Osprey.Contracts.V1;
using Osprey.Detection.Yara;

namespace Osprey.Agent.Tasks;

/// <summary>
/// "yara-scan": the task's rule files compiled with libyara (a file that does not compile fails the task with its
/// file:line), then files and directories scanned (never following links, only regular files, /proc, /sys and /dev
/// left out unless named) and process memory (by UniquePID, or every process). The result lists every rule, triggered
/// or not, with the objects it matched; objects, string matches and errors are bounded.
/// </summary>
internal sealed class YaraScanExecutor : ITaskExecutor
{
    private const long DefaultMaxFileSize = 256L << 20;
    private const int DefaultTimeoutSeconds = 60;
    private const int MaxThreads = 8;
    private const int MaxObjectsPerRule = 1_000;
    private const int MaxStringsPerObject = 20;
    private const int MaxErrors = 1_000;
    private const int Esrch = 3;
    private static readonly string[] PseudoFileSystems = ["/proc", "/sys", "/dev"];

    public string Type => "yara-scan";

    public async Task ExecuteAsync(TaskRun run, CancellationToken cancellationToken)
    {
        var p = run.Definition.YaraScan ?? throw new TaskFailedException(22, "the task has no yara-scan parameters");
        if (p.Paths.Count == 0 && p.UniquePids.Count == 0 && !p.AllProcesses)
        {
            throw new TaskFailedException(22, "name files or directories to scan, processes by UniquePID, or all processes");
        }
        if (p.Paths.Concat(p.ExcludePaths).FirstOrDefault(path => !Path.IsPathFullyQualified(path) || path.Contains('\0', StringComparison.Ordinal)) is { } relative)
        {
            throw new TaskFailedException(22, $"paths must be absolute, not '{relative}'");
        }
        var (sources, problem) = YaraSources.From([.. p.RuleFiles.Select(f => (f.Name, f.Content.Memory, f.Sha256))]);
        if (sources is null)
        {
            throw new TaskFailedException(22, problem!);
        }
        YaraRules rules;
        try
        {
            rules = YaraCompiler.Build(sources);
        }
        catch (YaraCompileException e)
        {
            throw new TaskFailedException(22, e.Message, e);
        }
        catch (YaraException e)
        {
            throw new TaskFailedException(95, e.Message, e);
        }
        using (rules)
        {
            var collector = new Collector(rules);
            run.Report.YaraScan = collector.Result;
            var settings = new YaraScanSettings
            {
                TimeoutSeconds = p.TimeoutSeconds == 0 ? DefaultTimeoutSeconds : (int)Math.Min(p.TimeoutSeconds, 3600),
                MaxStringMatches = MaxStringsPerObject,
                MaxDataBytes = 64,
            };
            if (p.Paths.Count > 0)
            {
                var options = new YaraTreeOptions
                {
                    Paths = [.. p.Paths],
                    Recursive = p.Recursive,
                    Exclude = [.. p.ExcludePaths, .. PseudoFileSystems.Where(f => !p.Paths.Any(path => IsUnder(path, f)))],
                    MaxFileSize = p.MaxFileSize > 0 ? p.MaxFileSize : DefaultMaxFileSize,
                    Threads = (int)Math.Clamp(p.Threads == 0 ? 1 : p.Threads, 1, MaxThreads),
                    Scan = settings,
                };
                var summary = await Task.Run(() => YaraTreeScan.Run(rules, options, file => collector.AddFile(run, file), cancellationToken), cancellationToken)
                    .ConfigureAwait(false);
                collector.Result.FilesScanned = (ulong)summary.FilesScanned;
            }
            if (p.UniquePids.Count > 0 || p.AllProcesses)
            {
                await Task.Run(() => ScanProcesses(run, p, rules, settings, collector, cancellationToken), cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private static void ScanProcesses(TaskRun run, YaraScanParams p, YaraRules rules, YaraScanSettings settings, Collector collector, CancellationToken cancellationToken)
    {
        var wanted = new HashSet<string>(p.UniquePids, StringComparer.OrdinalIgnoreCase);
        var found = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        using var scanner = rules.CreateScanner(settings);
        foreach (var pid in ProcFs.ListPids())
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (pid == Environment.ProcessId || run.Services.Processes.Read(pid) is not { } info)
            {
                continue;
            }
            if (!p.AllProcesses && !wanted.Contains(info.UniquePid))
            {
                continue;
            }
            found.Add(info.UniquePid);
            if (info.ExePath is null && info.Arguments.Count == 0)
            {
                // A kernel thread has no user memory to scan.
                continue;
            }
            var path = info.ExePath ?? "";
            var outcome = scanner.ScanProcess(pid, new YaraExternals(Path.GetFileName(path), path, Path.GetExtension(path).ToLowerInvariant(), "", run.Services.Users.UserName(info.Uid) ?? ""));
            collector.AddProcess(info, run.Services.Users.UserName(info.Uid) ?? "", outcome);
        }
        foreach (var missing in wanted.Except(found, StringComparer.OrdinalIgnoreCase))
        {
            collector.AddError(missing, Esrch, "no running process has this UniquePID (it has exited)");
        }
    }

    private static bool IsUnder(string path, string directory) =>
        path.StartsWith(directory, StringComparison.Ordinal) && (path.Length == directory.Length || path[directory.Length] == '/');

    /// <summary>The result being built: every rule listed once, objects added as they match, within the bounds.</summary>
    private sealed class Collector
    {
        private readonly Dictionary<(string Namespace, string Rule), YaraRuleResult> _rules = [];

        public Collector(YaraRules rules)
        {
            foreach (var rule in rules.Rules)
            {
                var result = new YaraRuleResult { RuleFileName = rule.Namespace, RuleName = rule.Rule };
                result.Tags.AddRange(rule.Tags);
                _rules.TryAdd((rule.Namespace, rule.Rule), result);
                Result.Rules.Add(result);
            }
        }

        public YaraScanResult Result { get; } = new();

        public void AddFile(TaskRun run, YaraFileResult file)
        {
            if (!file.Scanned)
            {
                AddError(file.Path, file.ErrorCode, file.Error ?? "not scanned");
            }
            if (file.Hits.Count == 0)
            {
                return;
            }
            var item = new FileItem { FullPath = file.Path, Size = file.Size };
            if (run.Services.Hasher.TryHash(file.Path) is { } hashes)
            {
                (item.Md5, item.Sha256) = (hashes.Md5, hashes.Sha256);
            }
            Add(file.Hits, () => new YaraObjectMatch { File = item });
        }

        public void AddProcess(ProcessInfo info, string user, YaraScanOutcome outcome)
        {
            if (!outcome.Succeeded)
            {
                AddError(string.Create(CultureInfo.InvariantCulture, $"process {info.Pid} ({info.Comm})"), outcome.Error, outcome.ErrorMessage);
            }
            else
            {
                Result.ProcessesScanned++;
            }
            Add(outcome.Hits, () => new YaraObjectMatch
            {
                Process = new ProcessItem
                {
                    Name = info.ExePath is { } exe ? Path.GetFileName(exe) : info.Comm,
                    Arguments = info.CommandLine,
                    Path = info.ExePath ?? "",
                    Pid = info.Pid,
                    ParentPid = info.ParentPid,
                    UserName = user,
                    StartTimeUs = info.StartTimeUs,
                    UniquePid = info.UniquePid,
                },
            });
        }

        public void AddError(string objectName, int code, string message)
        {
            if (Result.Errors.Count >= MaxErrors)
            {
                Result.Truncated = true;
                return;
            }
            Result.Errors.Add(new ObjectError { ObjectName = objectName, Code = code, Message = message });
        }

        private void Add(IReadOnlyList<YaraRuleHit> hits, Func<YaraObjectMatch> objectOf)
        {
            foreach (var hit in hits)
            {
                if (!_rules.TryGetValue((hit.Namespace, hit.Rule), out var rule))
                {
                    continue;
                }
                rule.Triggered = true;
                if (rule.Objects.Count >= MaxObjectsPerRule)
                {
                    Result.Truncated = true;
                    continue;
                }
                var match = objectOf();
                foreach (var s in hit.Strings)
                {
                    match.Strings.Add(new YaraStringMatch { Identifier = s.Identifier, Offset = s.Offset, Length = (uint)s.Length, Data = ByteString.CopyFrom(s.Data) });
                }
                Result.Truncated |= hit.StringsTruncated;
                rule.Objects.Add(match);
            }
        }
    }
}
