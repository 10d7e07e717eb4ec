using System.Buffers.Binary;
using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using Google.Protobuf;
using Microsoft.Extensions.Logging;
using Microsoft.Win32.SafeHandles;
using Osprey.Agent.Interop;
using Osprey.Agent.Sensors;
using Osprey.Agent.Sensors.Processes;
using Osprey.Contracts.Prevention;
using Osprey.Contracts.Security;
using Osprey.Contracts.V1;

namespace Osprey.Agent.Prevention;

/// <summary>
/// Enforces the prevention rule set with fanotify permission events: every execution (and, when scripts or documents
/// are covered, every opening) of a file on a marked mount waits for this engine's answer. Two reader threads answer,
/// so an open by the agent itself (answered at once) never waits behind the thread that caused it. Every event is
/// answered, also when deciding fails (then it is allowed); if the agent dies, the kernel allows what was pending.
/// Blocked and audited events become telemetry. The rule set is persisted and enforced again at start-up.
/// </summary>
public sealed partial class PreventionEngine : IDisposable
{
    /// <summary>How long the reader may be inside one batch of decisions before the standby thread answers beside it.</summary>
    private static readonly TimeSpan StuckAfter = TimeSpan.FromMilliseconds(20);
    private const int BufferSize = 16 * 1024;

    /// <summary>Programs that run script files they open: their openings are scripts, not documents.</summary>
    [GeneratedRegex(@"^(?:sh|bash|dash|zsh|ksh|mksh|pdksh|csh|tcsh|fish|busybox|python[0-9.]*|perl[0-9.]*|ruby[0-9.]*|node|nodejs|php[0-9.]*|lua[0-9.]*|luajit|tclsh[0-9.]*|wish[0-9.]*|pwsh|awk|gawk|mawk|nawk|Rscript|osascript)$", RegexOptions.CultureInvariant)]
    private static partial Regex InterpreterName();

    private readonly PreventionOptions _options;
    private readonly string _policyPath;
    private readonly SensorContext _context;
    private readonly Lock _applyLock = new();
    private readonly int _selfPid = Environment.ProcessId;
    private readonly List<Thread> _threads = [];
    private PermissionGroup? _group;
    private volatile PreventionRuleSet _rules = PreventionRuleSet.Empty;

    // Filesystems (st_dev) on which a path rule can match a file: the only ones where an allowed file gets an ignore
    // mark only when its path is fixed (a rename or hard link stays on its filesystem, so elsewhere no path can ever match).
    private volatile HashSet<ulong> _pathDevices = [];

    // /proc/sys/fs/protected_hardlinks is 1: nobody may link a file they neither own nor can write. Read when rules are
    // applied and every second by the standby thread; a fixed path is only fixed while it holds.
    private volatile bool _hardlinksProtected;
    private long _generation;
    private volatile bool _stopping;
    private long _allowed;
    private long _blocked;
    private long _audited;
    private long _failures;
    private int _ignoreMarks;

    // Stopwatch timestamp at which the reader started the decisions of its current read; 0 while it waits for events.
    private long _busySince;

    public PreventionEngine(PreventionOptions options, string policyPath, SensorContext context)
    {
        _options = options;
        _policyPath = policyPath;
        _context = context;
    }

    /// <summary>Version of the rule set enforced now (0: none).</summary>
    public ulong AppliedVersion => _rules.Version;

    public int RuleCount => _rules.RuleCount;

    /// <summary>Why prevention cannot be enforced on this host; null when it can.</summary>
    public string? Unsupported { get; private set; }

    public long Allowed => Interlocked.Read(ref _allowed);

    public long Blocked => Interlocked.Read(ref _blocked);

    public long Audited => Interlocked.Read(ref _audited);

    /// <summary>Ignore marks set since the rule set was last applied (the kernel no longer asks about those files).</summary>
    public int IgnoreMarks => Volatile.Read(ref _ignoreMarks);

    /// <summary>Mount points intercepted now.</summary>
    public IReadOnlyCollection<string> MountPoints => _group?.MountPoints ?? [];

    /// <summary>Enforces the rule set stored by the last run, if any. Problems are logged; the agent runs on without.</summary>
    public void Start()
    {
        if (!File.Exists(_policyPath))
        {
            return;
        }
        try
        {
            var policy = PreventionPolicy.Parser.ParseFrom(File.ReadAllBytes(_policyPath));
            var result = Apply(policy, persist: false);
            LogRestored(_context.Logger, result.AppliedVersion, (int)result.RuleCount);
        }
        catch (Exception e) when (e is InvalidProtocolBufferException or IOException or ArgumentException or PreventionUnavailableException)
        {
            LogRestoreFailed(_context.Logger, _policyPath, e.Message);
        }
    }

    /// <summary>
    /// Replaces the rule set with <paramref name="policy"/> as a whole: decisions use the new rules from one instant,
    /// files allowed under the old ones are asked about again, the marks follow the new coverage. Invalid rules are
    /// left out and listed; a policy older than the one enforced is refused.
    /// </summary>
    public PreventionResult Apply(PreventionPolicy policy, bool persist = true)
    {
        var rules = PreventionRuleSet.Compile(policy);
        lock (_applyLock)
        {
            if (policy.Version != 0 && policy.Version < _rules.Version)
            {
                throw new ArgumentException($"rule set version {policy.Version} is older than the version enforced ({_rules.Version})");
            }
            var mask = MaskFor(rules);
            if (mask != 0 && _group is null)
            {
                _group = PermissionGroup.Create(_options, out var unsupported);
                if (_group is null)
                {
                    Unsupported = unsupported;
                    throw new PreventionUnavailableException(unsupported!);
                }
                StartReaders(_group);
            }
            if (persist)
            {
                SecureFile.WriteAllBytes(_policyPath, policy.ToByteArray());
            }
            _pathDevices = PathDevices(rules);
            _hardlinksProtected = HardlinksProtected();
            _rules = rules;
            Interlocked.Increment(ref _generation);
            if (_group is not null)
            {
                _group.FlushIgnoreMarks();
                Interlocked.Exchange(ref _ignoreMarks, 0);
                foreach (var problem in _group.Apply(mask))
                {
                    LogMarkFailed(_context.Logger, problem);
                }
            }
            _context.Health.SetState(SensorState.Running, mask == 0 ? "no prevention rules" : $"rule set {rules.Version}: {rules.RuleCount} rules on {MountPoints.Count} mounts");
            LogApplied(_context.Logger, rules.Version, rules.RuleCount, rules.Rejected.Count);
        }
        var result = new PreventionResult { AppliedVersion = rules.Version, RuleCount = (uint)rules.RuleCount };
        result.RejectedRules.AddRange(rules.Rejected);
        return result;
    }

    public void Dispose()
    {
        _stopping = true;
        foreach (var thread in _threads)
        {
            thread.Join(TimeSpan.FromSeconds(2));
        }
        // Closing the group allows whatever is still pending.
        _group?.Dispose();
    }

    private static ulong MaskFor(PreventionRuleSet rules) =>
        (rules.Covers(PreventionTarget.Executables) || rules.Covers(PreventionTarget.Scripts) ? Fanotify.OpenExecPermission : 0)
        | (rules.Covers(PreventionTarget.Scripts) || rules.Covers(PreventionTarget.Documents) ? Fanotify.OpenPermission : 0);

    /// <summary>
    /// One reader answers events; a standby thread answers beside it only while it has been inside one batch of
    /// decisions for longer than <see cref="StuckAfter"/>. Two threads waiting on the group would both be woken by
    /// every event (about 20 µs more per exec on two cores); one thread alone could wait forever on an event its own
    /// decision caused (the runtime loading an assembly from a marked filesystem, a large file being hashed). The
    /// standby looks every 20 ms and costs nothing else.
    /// </summary>
    private void StartReaders(PermissionGroup group)
    {
        Thread[] threads =
        [
            new(() => ReadLoop(group)) { IsBackground = true, Name = "osprey-prevention" },
            new(() => StandbyLoop(group)) { IsBackground = true, Name = "osprey-prevention-standby" },
        ];
        foreach (var thread in threads)
        {
            _threads.Add(thread);
            thread.Start();
        }
    }

    private void ReadLoop(PermissionGroup group)
    {
        var buffer = new byte[BufferSize];
        using var mountTable = File.OpenHandle("/proc/self/mountinfo");
        while (!_stopping)
        {
            ReadAndAnswer(group, buffer, mountTable, 250, leader: true);
        }
    }

    private void StandbyLoop(PermissionGroup group)
    {
        var buffer = new byte[BufferSize];
        var looks = 0;
        while (!_stopping)
        {
            Thread.Sleep(StuckAfter);
            if (++looks % 50 == 0)
            {
                CheckHardlinkProtection();
            }
            var since = Volatile.Read(ref _busySince);
            if (since == 0 || Stopwatch.GetElapsedTime(since) < StuckAfter)
            {
                continue;
            }
            // The reader is still in the same batch: answer what comes meanwhile, until it is back.
            while (!_stopping && Volatile.Read(ref _busySince) == since)
            {
                ReadAndAnswer(group, buffer, null, 10, leader: false);
            }
        }
    }

    /// <summary>Waits up to <paramref name="timeoutMs"/> for events (and mount table changes when given its handle) and answers them.</summary>
    private void ReadAndAnswer(PermissionGroup group, byte[] buffer, SafeFileHandle? mountTable, int timeoutMs, bool leader)
    {
        var woken = Fanotify.Wait(group.Handle, mountTable, timeoutMs, out var ready, out var mountsChanged, out var errno);
        if (mountsChanged)
        {
            // The kernel reports a mount table change once per poll that sees it.
            OnMountsChanged(group);
        }
        if (!woken || !ready)
        {
            if (errno != 0)
            {
                LogReadFailed(_context.Logger, Errno.Describe(errno));
                Thread.Sleep(100);
            }
            return;
        }
        var length = Fanotify.Read(group.Handle, buffer, out errno);
        if (length < 0)
        {
            LogReadFailed(_context.Logger, Errno.Describe(errno));
            Thread.Sleep(100);
            return;
        }
        if (leader)
        {
            Volatile.Write(ref _busySince, Stopwatch.GetTimestamp());
        }
        try
        {
            var span = buffer.AsSpan(0, length);
            while (span.Length >= 24)
            {
                var eventLength = (int)BinaryPrimitives.ReadUInt32LittleEndian(span);
                if (eventLength < 24 || eventLength > span.Length)
                {
                    break;
                }
                var mask = BinaryPrimitives.ReadUInt64LittleEndian(span[8..]);
                var fd = BinaryPrimitives.ReadInt32LittleEndian(span[16..]);
                var pid = BinaryPrimitives.ReadInt32LittleEndian(span[20..]);
                span = span[eventLength..];
                if (fd >= 0)
                {
                    Answer(group, mask, fd, pid);
                }
            }
        }
        finally
        {
            if (leader)
            {
                Volatile.Write(ref _busySince, 0);
            }
        }
    }

    /// <summary>A filesystem was mounted or unmounted: marks follow, and so do the filesystems path rules can reach.</summary>
    private void OnMountsChanged(PermissionGroup group)
    {
        lock (_applyLock)
        {
            foreach (var problem in group.Apply(MaskFor(_rules)))
            {
                LogMarkFailed(_context.Logger, problem);
            }
            _pathDevices = PathDevices(_rules);
        }
    }

    /// <summary>
    /// Hard link protection was turned off (by root): files whose path was fixed could now be linked to a path a rule
    /// matches, so every file is asked about again. Decisions in flight that set a mark meanwhile take it back (the
    /// generation changes after the flag).
    /// </summary>
    private void CheckHardlinkProtection()
    {
        var now = HardlinksProtected();
        if (now || !_hardlinksProtected)
        {
            _hardlinksProtected = now;
            return;
        }
        lock (_applyLock)
        {
            _hardlinksProtected = false;
            Interlocked.Increment(ref _generation);
            _group?.FlushIgnoreMarks();
            Interlocked.Exchange(ref _ignoreMarks, 0);
        }
        LogHardlinksUnprotected(_context.Logger);
    }

    private static bool HardlinksProtected()
    {
        try
        {
            return File.ReadAllText("/proc/sys/fs/protected_hardlinks").Trim() == "1";
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>
    /// The filesystems holding each path rule's directory (or its deepest existing ancestor, where it would be created)
    /// and every filesystem mounted at or beneath it.
    /// </summary>
    private static HashSet<ulong> PathDevices(PreventionRuleSet rules)
    {
        var devices = new HashSet<ulong>();
        if (rules.PathDirectories.Count == 0)
        {
            return devices;
        }
        var mounts = Sensors.HostState.MountInfo.ParseTable(System.Text.Encoding.UTF8.GetBytes(File.ReadAllText("/proc/self/mountinfo"))).Values;
        foreach (var directory in rules.PathDirectories)
        {
            for (var ancestor = directory; ; ancestor = Path.GetDirectoryName(ancestor) ?? "/")
            {
                if (Libc.Stat(ancestor, followLinks: true, out _) is { } status)
                {
                    devices.Add(status.Device);
                    break;
                }
                if (ancestor == "/")
                {
                    break;
                }
            }
            foreach (var mount in mounts.Where(m => PermissionGroup.IsAtOrBeneath(m.MountPoint, directory)))
            {
                if (Libc.Stat(mount.MountPoint, followLinks: false, out _) is { } status)
                {
                    devices.Add(status.Device);
                }
            }
        }
        return devices;
    }

    /// <summary>Decides and answers one permission event; whatever happens, it is answered and its descriptor closed.</summary>
    private void Answer(PermissionGroup group, ulong mask, int fd, int pid)
    {
        var verdict = Fanotify.Allow;
        using var file = new SafeFileHandle(fd, ownsHandle: true);
        Denial? report = null;
        try
        {
            if (pid != _selfPid)
            {
                (verdict, report) = Decide(group, mask, file, fd, pid);
            }
        }
        catch (Exception e)
        {
            Interlocked.Increment(ref _failures);
            LogDecisionFailed(_context.Logger, pid, e.Message);
            verdict = Fanotify.Allow;
        }
        if (!Fanotify.Respond(group.Handle, fd, verdict, out var errno))
        {
            LogRespondFailed(_context.Logger, Errno.Describe(errno));
        }
        Interlocked.Increment(ref verdict == Fanotify.Deny ? ref _blocked : ref report is null ? ref _allowed : ref _audited);
        if (report is not null)
        {
            _context.Emit(report.ToEvent(_context.NowUs()));
        }
    }

    private (uint Verdict, Denial? Report) Decide(PermissionGroup group, ulong mask, SafeFileHandle file, int fd, int pid)
    {
        var rules = _rules;
        var pathDevices = _pathDevices;
        var generation = Interlocked.Read(ref _generation);
        var exec = (mask & Fanotify.OpenExecPermission) != 0;
        var status = Libc.Stat(file, out _);
        if (status is null || !status.IsRegularFile)
        {
            return (Fanotify.Allow, null);
        }
        string? interpreter = null;
        // No target: a program or library opened, not a script or document (an exec raises an open event beside its
        // open-exec event, which is where it is decided; libraries load through plain opens).
        PreventionTarget? target = null;
        if (exec)
        {
            interpreter = Shebang(file);
            target = interpreter is null ? PreventionTarget.Executables : PreventionTarget.Scripts;
        }
        else if (IsElf(file))
        {
            // Whatever the rules, opening an ELF file is allowed (its exec is decided on the open-exec event), and a
            // rename does not change what it is: the kernel need not ask about its plain opens again until it changes.
            TryIgnore(group, fd, Fanotify.OpenPermission);
            return (Fanotify.Allow, null);
        }
        else
        {
            var opener = ProcFs.ReadLink($"/proc/{pid}/exe");
            var isInterpreter = opener is not null && InterpreterName().IsMatch(Path.GetFileName(opener));
            target = isInterpreter ? PreventionTarget.Scripts : PreventionTarget.Documents;
            interpreter = isInterpreter ? opener : null;
        }
        var covered = target is { } t && rules.Covers(t);
        var pathReachable = pathDevices.Contains(status.Device);
        // Where a path rule can reach, only a file whose path nobody but root can change may get an ignore mark; the
        // file's own part of that is known from its status, the directories are walked only for such a file, and
        // only while marks can still be set.
        var mayIgnore = !pathReachable
            || (_hardlinksProtected && FixedPath.FileQualifies(status) && Volatile.Read(ref _ignoreMarks) < _options.MaxIgnoreMarks);
        if (!covered && !mayIgnore)
        {
            return (Fanotify.Allow, null);
        }
        var path = FilePath(fd);
        Sensors.Hashing.FileHashes? hashes = null;
        var hashed = false;
        (string, string)? Hashes()
        {
            if (!hashed)
            {
                hashes = _context.Hasher.TryHash(file);
                hashed = true;
            }
            return hashes is null ? null : (hashes.Md5, hashes.Sha256);
        }
        var match = covered ? rules.Find(target!.Value, path, Hashes) : null;
        if (match is null)
        {
            if (mayIgnore && (!pathReachable || FixedPath.IsFixed(path, status)))
            {
                IgnoreIfNoRuleCanMatch(group, rules, generation, fd, path, covered ? target : null, Hashes);
            }
            return (Fanotify.Allow, null);
        }
        var block = match.Rule.Mode == PreventionMode.Block;
        Hashes();
        var process = _context.Processes.Get(pid);
        var parent = process is null ? null : _context.Processes.Get(process.ParentPid);
        var denial = new Denial(match, target!.Value, block, path, hashes, status, interpreter, process, parent, _context.Processes);
        return (block ? Fanotify.Deny : Fanotify.Allow, denial);
    }

    /// <summary>
    /// When the file matches no rule of any target, and either no path rule can reach its filesystem or only root can
    /// change its path, nothing can match it until it changes: the kernel stops asking (the ignore mark goes when the
    /// file is modified). An ignore mark set while the rules were being replaced is taken back.
    /// </summary>
    private void IgnoreIfNoRuleCanMatch(
        PermissionGroup group, PreventionRuleSet rules, long generation, int fd, string path, PreventionTarget? alreadyChecked, Func<(string, string)?> hashes)
    {
        foreach (var target in (ReadOnlySpan<PreventionTarget>)[PreventionTarget.Executables, PreventionTarget.Scripts, PreventionTarget.Documents])
        {
            if (target != alreadyChecked && rules.Covers(target) && rules.Find(target, path, hashes) is not null)
            {
                return;
            }
        }
        var mask = group.Mask;
        if (TryIgnore(group, fd, mask) && Interlocked.Read(ref _generation) != generation)
        {
            group.Unignore(fd, mask);
        }
    }

    /// <summary>An ignore mark for <paramref name="mask"/> on the event's file, while the bound allows.</summary>
    private bool TryIgnore(PermissionGroup group, int fd, ulong mask)
    {
        if (Volatile.Read(ref _ignoreMarks) >= _options.MaxIgnoreMarks || !group.Ignore(fd, mask))
        {
            return false;
        }
        Interlocked.Increment(ref _ignoreMarks);
        return true;
    }

    private static bool IsElf(SafeFileHandle file)
    {
        Span<byte> magic = stackalloc byte[4];
        try
        {
            return RandomAccess.Read(file, magic, 0) == 4 && magic.SequenceEqual("\u007fELF"u8);
        }
        catch (IOException)
        {
            return false;
        }
    }

    /// <summary>The interpreter named by a "#!" first line; null when the file does not start with one.</summary>
    private static string? Shebang(SafeFileHandle file)
    {
        Span<byte> head = stackalloc byte[256];
        int read;
        try
        {
            read = RandomAccess.Read(file, head, 0);
        }
        catch (IOException)
        {
            return null;
        }
        if (read < 2 || head[0] != (byte)'#' || head[1] != (byte)'!')
        {
            return null;
        }
        var line = System.Text.Encoding.UTF8.GetString(head[2..read]);
        var end = line.IndexOf('\n', StringComparison.Ordinal);
        var command = (end < 0 ? line : line[..end]).Trim();
        var space = command.IndexOfAny([' ', '\t']);
        return space < 0 ? command : command[..space];
    }

    private static string FilePath(int fd)
    {
        var path = ProcFs.ReadLink("/proc/self/fd/" + fd.ToString(CultureInfo.InvariantCulture)) ?? "";
        return path.EndsWith(" (deleted)", StringComparison.Ordinal) ? path[..^" (deleted)".Length] : path;
    }

    [LoggerMessage(EventId = 2601, Level = LogLevel.Information, Message = "Prevention rule set {Version} enforced: {Rules} rules, {Rejected} rejected")]
    private static partial void LogApplied(ILogger logger, ulong version, int rules, int rejected);

    [LoggerMessage(EventId = 2602, Level = LogLevel.Information, Message = "Prevention rule set {Version} from the last run enforced again ({Rules} rules)")]
    private static partial void LogRestored(ILogger logger, ulong version, int rules);

    [LoggerMessage(EventId = 2603, Level = LogLevel.Error, Message = "The stored prevention rule set {Path} could not be enforced: {Reason}")]
    private static partial void LogRestoreFailed(ILogger logger, string path, string reason);

    [LoggerMessage(EventId = 2604, Level = LogLevel.Warning, Message = "Prevention could not mark {Problem}")]
    private static partial void LogMarkFailed(ILogger logger, string problem);

    [LoggerMessage(EventId = 2605, Level = LogLevel.Warning, Message = "Prevention decision for PID {Pid} failed, allowed: {Reason}")]
    private static partial void LogDecisionFailed(ILogger logger, int pid, string reason);

    [LoggerMessage(EventId = 2606, Level = LogLevel.Error, Message = "Answering a permission event failed: {Reason}")]
    private static partial void LogRespondFailed(ILogger logger, string reason);

    [LoggerMessage(EventId = 2607, Level = LogLevel.Error, Message = "Reading permission events failed: {Reason}")]
    private static partial void LogReadFailed(ILogger logger, string reason);

    [LoggerMessage(EventId = 2608, Level = LogLevel.Warning, Message = "Hard link protection (fs.protected_hardlinks) is off: files on filesystems path rules reach are asked about at every access")]
    private static partial void LogHardlinksUnprotected(ILogger logger);
}

/// <summary>Prevention cannot run on this host (no fanotify permission events, not root).</summary>
public sealed class PreventionUnavailableException(string message) : Exception(message);
