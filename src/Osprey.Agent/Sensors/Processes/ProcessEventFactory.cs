using Osprey.Agent.Sensors;
using System.Buffers;
using System.Globalization;
using Osprey.Agent.Interop;
using Osprey.Agent.Sensors.Hashing;
using Osprey.Contracts.V1;

namespace Osprey.Agent.Sensors.Processes;

/// <summary>
/// Builds ProcessStart, ProcessStop and ModuleLoad events from what the process table read, with the details only
/// these events carry (credentials, terminal, container, executable metadata). Used by one thread: its caches are
/// not locked.
/// </summary>
internal sealed class ProcessEventFactory
{
    private const int MaxCachedMetadata = 4096;
    private const int MaxCachedNames = 4096;
    private static readonly TimeSpan NamesLifetime = TimeSpan.FromSeconds(5);

    private static readonly HashSet<string> Interpreters = new(StringComparer.Ordinal)
    {
        "sh", "bash", "dash", "zsh", "ksh", "mksh", "fish", "csh", "tcsh", "ash",
        "perl", "ruby", "node", "nodejs", "php", "lua", "tclsh", "wish", "Rscript", "pwsh", "osascript",
    };

    private readonly SensorContext _context;
    private readonly TtyNames _ttys = new();
    private readonly AccountTypes _accounts = new();
    private readonly Dictionary<uint, string> _userNames = [];
    private readonly Dictionary<uint, string> _groupNames = [];
    private readonly Dictionary<(ulong Device, ulong Inode, long ChangeUs), (List<string> Names, string Acl)> _extras = [];
    private long _namesStamp;
    private byte[] _cgroupBuffer = ArrayPool<byte>.Shared.Rent(4096);

    public ProcessEventFactory(SensorContext context)
    {
        _context = context;
        _namesStamp = context.Time.GetTimestamp();
    }

    /// <summary>A ProcessStart for <paramref name="info"/>; <paramref name="complete"/> is false when /proc had lost the process and credentials are unknown.</summary>
    public Event Start(ProcessInfo info, bool complete, ProcessInfo? parent, int parentPid, string? parentUniquePid, string spawnSyscall, long timeUs)
    {
        ExpireNames();
        var status = ExecutableStatus(info);
        var process = ProcessOf(info, status);
        var start = new ProcessStartEvent
        {
            Parent = ParentRef(parent, parentPid, parentUniquePid),
            Cwd = info.Cwd ?? "",
            SessionId = complete ? info.Session.ToString(CultureInfo.InvariantCulture) : "",
            ProcessType = ProcessTypeOf(info),
            Tty = complete ? _ttys.NameOf(info.TtyNumber) : "",
            SpawnSyscall = spawnSyscall,
            ParentPid = parentPid,
            ContainerId = ContainerOf(info.Pid),
        };
        start.Environment.AddRange(info.Environment);
        if (complete)
        {
            start.Credentials = Credentials(info);
        }
        if (status is not null)
        {
            start.Executable = Metadata(status, info);
        }
        var e = new Event
        {
            Type = EventType.ProcessStart,
            TimeUs = timeUs,
            Process = process,
            ParentUniquePid = parentUniquePid ?? "",
            ProcessStart = start,
        };
        if (complete)
        {
            e.User = UserRef(info.Uid);
        }
        return e;
    }

    /// <summary>A running process as a process-list task reports it: what its start event would carry, and its scheduler state.</summary>
    public ProcessContext Context(ProcessInfo info, ProcessInfo? parent, char state, bool environment)
    {
        var e = Start(info, complete: true, parent, info.ParentPid, parent?.UniquePid ?? info.ParentUniquePid, "", 0);
        var start = e.ProcessStart;
        var context = new ProcessContext
        {
            Process = e.Process,
            ParentUniquePid = e.ParentUniquePid,
            ParentPid = info.ParentPid,
            Credentials = start.Credentials,
            SessionId = start.SessionId,
            Cwd = start.Cwd,
            Tty = start.Tty,
            State = state == '\0' ? "" : state.ToString(),
        };
        if (environment)
        {
            context.Environment.AddRange(start.Environment);
        }
        return context;
    }

    /// <summary>
    /// Ownership, permissions and identity of a file (names resolved; ACL and extended attributes read through
    /// <paramref name="path"/>, or <paramref name="fallbackPath"/> when that is no longer the same file; neither when null).
    /// </summary>
    public FileMetadata MetadataOf(FileStatus status, string? path, string? fallbackPath = null)
    {
        var metadata = new FileMetadata
        {
            FileId = FileIdOf(status.Device, status.Inode),
            FileType = status.FileType switch
            {
                "block-device" => "block",
                "char-device" => "char",
                var type => type,
            },
            Owner = UserRef(status.Uid),
            OwnerGroup = GroupRef(status.Gid),
            Mode = status.Mode & 0xFFF,
            HardLinks = status.LinkCount,
            StatusChangedUs = status.ChangeUs,
        };
        metadata.Attributes.AddRange(status.Attributes);
        if (path is not null && !status.IsSymbolicLink)
        {
            var (names, acl) = Extras(status, path, fallbackPath ?? path);
            metadata.ExtendedAttributes.AddRange(names);
            metadata.Acl = acl;
        }
        return metadata;
    }

    /// <summary>A ProcessStop: exit code and signal as decoded from the kernel's wait status.</summary>
    public Event Stop(ProcessInfo info, bool complete, ProcessInfo? parent, int parentPid, string? parentUniquePid, int exitCode, int exitSignal, long timeUs)
    {
        ExpireNames();
        var e = new Event
        {
            Type = EventType.ProcessStop,
            TimeUs = timeUs,
            Process = ProcessTable.Ref(info),
            ParentUniquePid = parentUniquePid ?? "",
            ProcessStop = new ProcessStopEvent
            {
                Parent = ParentRef(parent, parentPid, parentUniquePid),
                ExitCode = exitCode,
                ExitSignal = exitSignal,
                EndTimeUs = timeUs,
                SessionId = complete ? info.Session.ToString(CultureInfo.InvariantCulture) : "",
            },
        };
        if (complete)
        {
            e.User = UserRef(info.Uid);
        }
        return e;
    }

    /// <summary>A ModuleLoad of one shared object mapped into <paramref name="info"/>.</summary>
    public Event ModuleLoad(ProcessInfo info, string path, FileHashes? hashes, FileStatus? status, string fileId, ulong baseAddress, long timeUs)
    {
        ExpireNames();
        var module = ProcessTable.FileRefOf(path, hashes);
        if (hashes is null && status is not null)
        {
            FillTimes(module, status);
        }
        return new Event
        {
            Type = EventType.ModuleLoad,
            TimeUs = timeUs,
            Process = ProcessTable.Ref(info),
            ParentUniquePid = info.ParentUniquePid ?? "",
            User = UserRef(info.Uid),
            ModuleLoad = new ModuleLoadEvent { Module = module, FileId = fileId, BaseAddress = baseAddress },
        };
    }

    /// <summary>"dev:inode", the device as statx reports it (major in the high 32 bits, minor in the low).</summary>
    /// <summary>
    /// "dev:inode" for a device as the agent keeps it (major in the high 32 bits, minor in the low), with dev written as
    /// stat(2) reports st_dev (glibc's makedev encoding), the same as <c>stat -c %d:%i</c>.
    /// </summary>
    public static string FileIdOf(ulong device, ulong inode)
    {
        var major = device >> 32;
        var minor = device & 0xffff_ffff;
        var dev = ((major & 0xffff_f000) << 32) | ((major & 0xfff) << 8) | ((minor & 0xffff_ff00) << 12) | (minor & 0xff);
        return string.Create(CultureInfo.InvariantCulture, $"{dev}:{inode}");
    }

    private ProcessRef ProcessOf(ProcessInfo info, FileStatus? status)
    {
        var reference = ProcessTable.Ref(info);
        // The table hashes executables up to a size bound; a larger one still has a size and times.
        if (info.Executable is null && status is not null && reference.File is { } file)
        {
            FillTimes(file, status);
        }
        return reference;
    }

    private static void FillTimes(FileRef file, FileStatus status)
    {
        file.Size = status.Size;
        file.CreatedUs = status.BirthUs;
        file.ModifiedUs = status.ModifyUs;
        file.AccessedUs = status.AccessUs;
    }

    private static ProcessRef ParentRef(ProcessInfo? parent, int parentPid, string? parentUniquePid) =>
        parent is not null && (parentUniquePid is null || parent.UniquePid == parentUniquePid)
            ? ProcessTable.Ref(parent)
            : new ProcessRef { Pid = parentPid, UniquePid = parentUniquePid ?? "" };

    private ProcessCredentials Credentials(ProcessInfo info)
    {
        var credentials = new ProcessCredentials
        {
            User = UserRef(info.Uid),
            Group = GroupRef(info.Gid),
            EffectiveUser = UserRef(info.Euid),
            EffectiveGroup = GroupRef(info.Egid),
            AccountType = _accounts.Of(info.Uid),
        };
        if (info.LoginUid is { } login)
        {
            credentials.LoginUser = UserRef(login);
            if (_context.Users.PrimaryGroupId(login) is { } loginGroup)
            {
                credentials.LoginGroup = GroupRef(loginGroup);
            }
        }
        return credentials;
    }

    private FileStatus? ExecutableStatus(ProcessInfo info)
    {
        if (info.Executable is { } hashes)
        {
            return hashes.Status;
        }
        if (info.ExePath is null)
        {
            return null;
        }
        return Libc.Stat(string.Create(CultureInfo.InvariantCulture, $"{ProcFs.Root}/{info.Pid}/exe"), followLinks: true, out _)
            ?? Libc.Stat(info.ExePath, followLinks: true, out _);
    }

    // Through /proc/PID/exe: the very file, also for a process in another mount namespace.
    private FileMetadata Metadata(FileStatus status, ProcessInfo info) =>
        MetadataOf(status, info.ExePath is null ? null : string.Create(CultureInfo.InvariantCulture, $"{ProcFs.Root}/{info.Pid}/exe"), info.ExePath);

    /// <summary>Extended attribute names and ACL text, cached per inode until its change time moves (setfacl and setfattr move it).</summary>
    private (List<string> Names, string Acl) Extras(FileStatus status, string path, string fallbackPath)
    {
        var key = (status.Device, status.Inode, status.ChangeUs);
        if (_extras.TryGetValue(key, out var cached))
        {
            return cached;
        }
        if (Libc.Stat(path, followLinks: true, out _) is not { } current || current.Inode != status.Inode || current.Device != status.Device)
        {
            path = fallbackPath;
        }
        var names = ExtendedAttributes.Names(path, followLinks: true);
        var acl = "";
        if (names.Contains(PosixAcl.AccessAttribute) && ExtendedAttributes.Value(path, PosixAcl.AccessAttribute, followLinks: true) is { } value)
        {
            acl = PosixAcl.ToText(value, userName: _context.Users.UserName, groupName: _context.Users.GroupName) ?? "";
        }
        if (_extras.Count >= MaxCachedMetadata)
        {
            _extras.Clear();
        }
        _extras[key] = (names, acl);
        return (names, acl);
    }

    /// <summary>"kernel-thread", "script" (an interpreter running a script file) or "executable".</summary>
    private static string ProcessTypeOf(ProcessInfo info)
    {
        if (info.IsKernelThread)
        {
            return "kernel-thread";
        }
        if (info.Arguments.Count >= 2 && IsInterpreter(info.Name))
        {
            var script = info.Arguments[1];
            if (script.Length > 0 && script[0] != '-')
            {
                var path = Path.IsPathRooted(script) || info.Cwd is null ? script : Path.Combine(info.Cwd, script);
                if (Libc.Stat(path, followLinks: true, out _) is { IsRegularFile: true })
                {
                    return "script";
                }
            }
        }
        return "executable";
    }

    private static bool IsInterpreter(string name) =>
        Interpreters.Contains(name) || name.StartsWith("python", StringComparison.Ordinal);

    private string ContainerOf(int pid)
    {
        Span<byte> path = stackalloc byte[ProcRead.PathCapacity];
        var length = ProcRead.FormatPath(path, pid, "cgroup"u8);
        var read = ProcRead.ReadAll(path[..length], ref _cgroupBuffer, 64 * 1024, generatedWhole: true);
        return read > 0 ? ContainerIds.Find(_cgroupBuffer.AsSpan(0, read)) : "";
    }

    private UserRef UserRef(uint uid)
    {
        if (!_userNames.TryGetValue(uid, out var name))
        {
            name = _context.Users.UserName(uid) ?? "";
            _userNames[uid] = name;
        }
        return new UserRef { Id = uid.ToString(CultureInfo.InvariantCulture), Name = name };
    }

    private GroupRef GroupRef(uint gid)
    {
        if (!_groupNames.TryGetValue(gid, out var name))
        {
            name = _context.Users.GroupName(gid) ?? "";
            _groupNames[gid] = name;
        }
        return new GroupRef { Id = gid.ToString(CultureInfo.InvariantCulture), Name = name };
    }

    /// <summary>Names are cached briefly: the directory checks /etc/passwd's time on every lookup, several per event.</summary>
    private void ExpireNames()
    {
        if (_context.Time.GetElapsedTime(_namesStamp) < NamesLifetime && _userNames.Count < MaxCachedNames && _groupNames.Count < MaxCachedNames)
        {
            return;
        }
        _userNames.Clear();
        _groupNames.Clear();
        _namesStamp = _context.Time.GetTimestamp();
    }
}
