using System.Collections.Concurrent;
using System.Globalization;
using Osprey.Agent.Interop;
using Osprey.Agent.Sensors.Hashing;
using Osprey.Contracts.Identity;
using Osprey.Contracts.V1;
using Osprey.Contracts.Processes;

namespace Osprey.Agent.Sensors.Processes;

/// <summary>Who this agent is on this boot: the inputs of every UniquePID.</summary>
public sealed record ProcessIdentity(string AgentId, string BootId, long BootTimeUs)
{
    public static ProcessIdentity ForThisBoot(string agentId) => new(agentId, ProcFs.BootId(), ProcFs.BootTimeUs());

    public string UniquePidOf(int pid, long startTicks) => UniquePid.Compute(AgentId, BootId, pid, startTicks);
}

/// <summary>A process as read from /proc.</summary>
public sealed record ProcessInfo
{
    public required int Pid { get; init; }
    public required int ParentPid { get; init; }
    public required string UniquePid { get; init; }
    public string? ParentUniquePid { get; init; }
    public required long StartTicks { get; init; }
    public required long StartTimeUs { get; init; }
    /// <summary>The kernel's short name (comm).</summary>
    public required string Comm { get; init; }
    public string? ExePath { get; init; }
    public IReadOnlyList<string> Arguments { get; init; } = [];
    public string CommandLine { get; init; } = "";
    public string? Cwd { get; init; }
    public IReadOnlyList<string> Environment { get; init; } = [];
    public uint Uid { get; init; }
    public uint Euid { get; init; }
    public uint Gid { get; init; }
    public uint Egid { get; init; }
    public uint? LoginUid { get; init; }
    public int Session { get; init; }
    public uint? AuditSession { get; init; }
    public int TtyNumber { get; init; }
    public FileHashes? Executable { get; init; }

    /// <summary>Kernel threads have no executable and no arguments.</summary>
    public bool IsKernelThread => ExePath is null && Arguments.Count == 0;

    /// <summary>The executable's file name, or comm when the path is unknown.</summary>
    public string Name => ExePath is { } path ? Path.GetFileName(path) : Comm;
}

/// <summary>
/// The processes of this host by PID, read from /proc and kept while they live, so every sensor can name
/// the acting process by UniquePID. An entry is checked against the PID's start time before it is reused,
/// so a recycled PID never inherits another process's identity.
/// </summary>
public sealed class ProcessTable(ProcessIdentity identity, FileHasher hasher, UserDirectory users, IReadOnlyList<string> environmentRedaction)
{
    public const string Redacted = EnvironmentRedaction.Redacted;
    private const int MaxEntries = 65_536;
    private const int BoundCheckInterval = 256;
    private readonly ConcurrentDictionary<int, ProcessInfo> _processes = new();
    private readonly EnvironmentRedaction _redaction = new(environmentRedaction);
    private long _reads;
    // Read and replaced whole by any thread that reads a process; a stale one is merely a miss.
    private volatile EnvironmentBlock? _lastEnvironment;

    public ProcessIdentity Identity => identity;

    public UserDirectory Users => users;

    public int Count => _processes.Count;

    /// <summary>The process with this PID now: the cached entry if it is still the same process, else read from /proc.</summary>
    public ProcessInfo? Get(int pid)
    {
        var stat = ProcFs.ReadStat(pid);
        if (stat is null)
        {
            return _processes.TryGetValue(pid, out var gone) ? gone : null;
        }
        if (_processes.TryGetValue(pid, out var known) && known.StartTicks == stat.StartTicks)
        {
            return known;
        }
        return Read(pid);
    }

    /// <summary>Reads the process afresh (after an exec its image and arguments changed) and caches it.</summary>
    public ProcessInfo? Read(int pid) => Read(pid, default(ExecFirstLook));

    /// <summary>
    /// Reads the process afresh after an exec, taking from <paramref name="look"/> what the process sensor's reader
    /// already read whole at the exec instead of reading it again.
    /// </summary>
    internal ProcessInfo? Read(int pid, in ExecFirstLook look)
    {
        using var process = ProcessDirectory.Open(pid);
        return process.IsOpen ? Read(pid, process, look) : null;
    }

    /// <summary>The last known state of a process that exited, removed from the table.</summary>
    public ProcessInfo? Forget(int pid) => _processes.TryRemove(pid, out var info) ? info : null;

    /// <summary>Reads every process in /proc; returns those the table did not know (a rescan after lost events).</summary>
    public IReadOnlyList<ProcessInfo> Rescan()
    {
        var discovered = new List<ProcessInfo>();
        var alive = new HashSet<int>();
        foreach (var pid in ProcFs.ListPids())
        {
            alive.Add(pid);
            var stat = ProcFs.ReadStat(pid);
            if (stat is null || (_processes.TryGetValue(pid, out var known) && known.StartTicks == stat.StartTicks))
            {
                continue;
            }
            if (Read(pid) is { } info)
            {
                discovered.Add(info);
            }
        }
        foreach (var pid in _processes.Keys.Where(p => !alive.Contains(p)).ToList())
        {
            _processes.TryRemove(pid, out _);
        }
        return discovered;
    }

    /// <summary>The process as events reference it.</summary>
    public static ProcessRef Ref(ProcessInfo p)
    {
        var reference = new ProcessRef
        {
            UniquePid = p.UniquePid,
            Pid = p.Pid,
            Name = p.Name,
            CommandLine = p.CommandLine,
            StartTimeUs = p.StartTimeUs,
        };
        if (p.ExePath is { } path)
        {
            reference.File = FileRefOf(path, p.Executable);
        }
        return reference;
    }

    public static FileRef FileRefOf(string path, FileHashes? hashes)
    {
        var file = new FileRef { Path = path, Name = Path.GetFileName(path) };
        if (hashes is not null)
        {
            file.Md5 = hashes.Md5;
            file.Sha256 = hashes.Sha256;
            file.Size = hashes.Status.Size;
            file.CreatedUs = hashes.Status.BirthUs;
            file.ModifiedUs = hashes.Status.ModifyUs;
            file.AccessedUs = hashes.Status.AccessUs;
        }
        return file;
    }

    public UserRef UserRefOf(uint uid) => new() { Id = uid.ToString(CultureInfo.InvariantCulture), Name = users.UserName(uid) ?? "" };

    public GroupRef GroupRefOf(uint gid) => new() { Id = gid.ToString(CultureInfo.InvariantCulture), Name = users.GroupName(gid) ?? "" };

    // Every read goes through the one open /proc/PID directory: a read per file of this process and no other (a PID
    // reused meanwhile makes them fail instead of describing the newcomer).
    private ProcessInfo? Read(int pid, in ProcessDirectory process, in ExecFirstLook look)
    {
        if (ProcFs.ReadStat(process) is not { } stat || ProcFs.ReadIds(process) is not { } ids)
        {
            return null;
        }
        var exe = ProcFs.ReadLink(process, "exe\0"u8);
        var hashes = exe is null ? null : HashExecutable(process);
        var arguments = look.HasArguments ? ProcFs.SplitNul(look.Arguments) : ProcFs.ReadNulSeparated(process, "cmdline\0"u8);
        var parent = stat.ParentPid > 0 && _processes.TryGetValue(stat.ParentPid, out var p) ? p : null;
        var parentStat = parent is null && stat.ParentPid > 0 ? ProcFs.ReadStat(stat.ParentPid) : null;
        var info = new ProcessInfo
        {
            Pid = pid,
            ParentPid = stat.ParentPid,
            UniquePid = identity.UniquePidOf(pid, stat.StartTicks),
            ParentUniquePid = parent?.UniquePid ?? (parentStat is null ? null : identity.UniquePidOf(stat.ParentPid, parentStat.StartTicks)),
            StartTicks = stat.StartTicks,
            StartTimeUs = ProcFs.StartTimeUs(identity.BootTimeUs, stat.StartTicks),
            Comm = stat.Comm,
            ExePath = exe is null ? null : StripDeleted(exe),
            Arguments = arguments,
            CommandLine = CommandLines.Join(arguments),
            Cwd = look.HasCwd ? System.Text.Encoding.UTF8.GetString(look.Cwd) : ProcFs.ReadLink(process, "cwd\0"u8),
            Environment = look.HasEnvironment ? EnvironmentOf(look.Environment) : _redaction.Apply(ProcFs.ReadNulSeparated(process, "environ\0"u8)),
            Uid = ids.Uid,
            Euid = ids.Euid,
            Gid = ids.Gid,
            Egid = ids.Egid,
            LoginUid = ProcFs.ReadAuditId(process, "loginuid\0"u8),
            Session = stat.Session,
            AuditSession = ProcFs.ReadAuditId(process, "sessionid\0"u8),
            TtyNumber = stat.TtyNumber,
            Executable = hashes,
        };
        // ConcurrentDictionary counts under every one of its locks: check the bound every so many reads, not on each.
        if ((Interlocked.Increment(ref _reads) & (BoundCheckInterval - 1)) == 0 && _processes.Count >= MaxEntries)
        {
            // Exits were missed (the rescan after a loss prunes them); never grow without bound.
            _processes.Clear();
        }
        _processes[pid] = info;
        return info;
    }

    /// <summary>
    /// The environment of NUL-separated bytes, redacted. A program started again and again by the same parent has the
    /// same environment each time: the last block and its strings are kept and reused while the bytes are the same.
    /// </summary>
    private IReadOnlyList<string> EnvironmentOf(ReadOnlySpan<byte> bytes)
    {
        var last = _lastEnvironment;
        if (last is not null && bytes.SequenceEqual(last.Bytes))
        {
            return last.Strings;
        }
        var strings = _redaction.Apply(ProcFs.SplitNul(bytes));
        _lastEnvironment = new EnvironmentBlock(bytes.ToArray(), strings);
        return strings;
    }

    private sealed record EnvironmentBlock(byte[] Bytes, IReadOnlyList<string> Strings);

    /// <summary>
    /// The hashes of the running image through /proc/PID/exe (the very file executed, even when its path was replaced
    /// or deleted): a stat of it answers from the hash cache, and only a miss opens it.
    /// </summary>
    private FileHashes? HashExecutable(in ProcessDirectory process)
    {
        if (process.Stat("exe\0"u8) is not { IsRegularFile: true } status || status.Size > hasher.MaxBytes)
        {
            return null;
        }
        if (hasher.Cached(status) is { } cached)
        {
            return cached;
        }
        using var handle = process.OpenForReading("exe\0"u8);
        return handle is null ? null : hasher.TryHash(handle);
    }

    private static string StripDeleted(string path) =>
        path.EndsWith(" (deleted)", StringComparison.Ordinal) ? path[..^" (deleted)".Length] : path;
}
