using System.Text;
using Osprey.Agent.Interop;
using Osprey.Agent.Sensors.Processes;

namespace Osprey.Agent.Sensors.Files;

/// <summary>
/// The reader thread's half of the sensor: parses what fanotify returned, resolves directory handles to paths,
/// drops what is out of scope before any further work, names the acting process while it is likely alive, and
/// hands the rest on as <see cref="FileChange"/>s in kernel order.
/// </summary>
internal sealed class FanotifyReader
{
    private const string DeletedSuffix = " (deleted)";
    private static readonly byte[] PathKeyPrefix = "\0path:"u8.ToArray();

    private readonly SensorContext _context;
    private readonly Func<ulong, WatchedFilesystem?> _filesystems;
    private readonly PathFilter _filter;
    private readonly Action<FileChange> _sink;
    private readonly DirectoryPathCache _directories;
    private readonly Dictionary<int, ProcessInfo?> _processes = [];
    private readonly int _ownPid;
    private readonly bool _ignoreOwnProcess;

    public FanotifyReader(SensorContext context, Func<ulong, WatchedFilesystem?> filesystems, PathFilter filter, FileSensorOptions options, Action<FileChange> sink)
    {
        _context = context;
        _filesystems = filesystems;
        _filter = filter;
        _sink = sink;
        _directories = new DirectoryPathCache(options.DirectoryCacheEntries);
        _ownPid = Environment.ProcessId;
        _ignoreOwnProcess = options.IgnoreOwnProcess;
    }

    /// <summary>Times the kernel's queue overflowed.</summary>
    public long Overflows { get; private set; }

    /// <summary>Records (or whole buffers' tails) skipped because they were malformed.</summary>
    public long Malformed { get; private set; }

    /// <summary>Events whose directory could not be named (gone before the event was read, or on an unknown filesystem).</summary>
    public long Unresolved { get; private set; }

    public int CachedDirectories => _directories.Count;

    /// <summary>Handles every event in one read's worth of data.</summary>
    public void Process(ReadOnlySpan<byte> buffer)
    {
        // One read's events usually come from a few processes: look each up once.
        _processes.Clear();
        while (true)
        {
            var status = FanotifyEventParser.TryParse(buffer, out var e, out var length, out var error);
            switch (status)
            {
                case FanotifyParseStatus.End:
                    return;
                case FanotifyParseStatus.MalformedBuffer:
                    OnMalformed(error, "the rest of a fanotify read was unreadable");
                    return;
                case FanotifyParseStatus.MalformedEvent:
                    // Its descriptor fields are not trusted either: closing a wrong number would close one of ours.
                    OnMalformed(error, "a fanotify event was unreadable");
                    break;
                default:
                    CloseDescriptors(e);
                    Handle(e);
                    break;
            }
            buffer = buffer[length..];
        }
    }

    private void Handle(in FanotifyEvent e)
    {
        if ((e.Mask & Fanotify.QueueOverflow) != 0)
        {
            Overflows++;
            _context.Health.ReportLoss(1, "the kernel's fanotify queue overflowed: file events were lost");
            if (ulong.IsPow2((ulong)Overflows))
            {
                FileSensorLog.QueueOverflow(_context.Logger, Overflows);
            }
            // Renames may be among the lost events: cached directory paths can no longer be trusted.
            _directories.Clear();
            return;
        }
        var isDirectory = (e.Mask & Fanotify.OnDirectory) != 0;
        if ((e.Mask & Fanotify.Rename) != 0 && isDirectory)
        {
            // Paths cached below the renamed directory are stale now, whoever renamed it and whether or not it is in scope.
            _directories.Clear();
        }
        if (_ignoreOwnProcess && e.Pid == _ownPid)
        {
            return;
        }
        if ((e.Mask & Fanotify.Rename) != 0)
        {
            HandleRename(e, isDirectory);
            return;
        }
        if ((e.Mask & (Fanotify.Create | Fanotify.Delete | Fanotify.CloseWrite)) == 0)
        {
            return;
        }
        if (!e.Directory.IsPresent || e.Name.IsEmpty || e.Name.SequenceEqual("."u8))
        {
            // No entry name (an event on a directory itself, or on a file no longer linked): no path to report.
            Unresolved++;
            return;
        }
        var path = ResolveEntry(e.Directory, e.Name);
        if (path is null || !_filter.Includes(path))
        {
            if ((e.Mask & Fanotify.Delete) != 0 && isDirectory && e.Object.IsPresent)
            {
                _directories.Remove(e.Object.Key);
            }
            return;
        }
        var (key, filesystem) = KeyOf(e.Object, path);
        var process = ProcessOf(e.Pid);
        var time = _context.NowUs();
        if ((e.Mask & Fanotify.Create) != 0)
        {
            var written = (e.Mask & Fanotify.CloseWrite) != 0;
            _sink(Change(FileChangeKind.Create, path, null, isDirectory, key, filesystem, e.Pid, process, time, written));
        }
        else if ((e.Mask & Fanotify.CloseWrite) != 0)
        {
            _sink(Change(FileChangeKind.CloseWrite, path, null, isDirectory, key, filesystem, e.Pid, process, time));
        }
        if ((e.Mask & Fanotify.Delete) != 0)
        {
            _sink(Change(FileChangeKind.Delete, path, null, isDirectory, key, filesystem, e.Pid, process, time));
            if (isDirectory && e.Object.IsPresent)
            {
                _directories.Remove(e.Object.Key);
            }
        }
    }

    private void HandleRename(in FanotifyEvent e, bool isDirectory)
    {
        string? oldPath = null, newPath = null;
        if (e.OldDirectory.IsPresent && e.NewDirectory.IsPresent && !e.OldName.IsEmpty && !e.NewName.IsEmpty)
        {
            oldPath = ResolveEntry(e.OldDirectory, e.OldName);
            newPath = ResolveEntry(e.NewDirectory, e.NewName);
        }
        else
        {
            Unresolved++;
        }
        // A move into or out of the watched paths is still a rename of something watched.
        if (oldPath is null || newPath is null || !(_filter.Includes(newPath) || _filter.Includes(oldPath)))
        {
            return;
        }
        var (key, filesystem) = KeyOf(e.Object, newPath);
        _sink(Change(FileChangeKind.Rename, newPath, oldPath, isDirectory, key, filesystem, e.Pid, ProcessOf(e.Pid), _context.NowUs()));
    }

    private static FileChange Change(
        FileChangeKind kind, string path, string? oldPath, bool isDirectory, byte[] key, WatchedFilesystem? filesystem, int pid, ProcessInfo? process, long time,
        bool written = false) =>
        new()
        {
            Kind = kind,
            Written = written,
            Path = path,
            OldPath = oldPath,
            IsDirectory = isDirectory,
            Key = key,
            Filesystem = filesystem,
            Pid = pid,
            Process = process,
            TimeUs = time,
        };

    /// <summary>The object's own handle when the kernel gave one on a watched filesystem; its path otherwise.</summary>
    private (byte[] Key, WatchedFilesystem? Filesystem) KeyOf(in FanotifyFid fid, string path)
    {
        if (fid.IsPresent && _filesystems(fid.Fsid) is { } filesystem)
        {
            return (fid.Key.ToArray(), filesystem);
        }
        return ([.. PathKeyPrefix, .. Encoding.UTF8.GetBytes(path)], null);
    }

    private string? ResolveEntry(in FanotifyFid directory, ReadOnlySpan<byte> name)
    {
        var parent = ResolveDirectory(directory);
        if (parent is null)
        {
            return null;
        }
        var entry = Encoding.UTF8.GetString(name);
        return parent.Length == 1 ? string.Concat("/", entry) : string.Concat(parent, "/", entry);
    }

    private string? ResolveDirectory(in FanotifyFid directory)
    {
        if (_directories.TryGet(directory.Key, out var cached))
        {
            return cached;
        }
        var filesystem = _filesystems(directory.Fsid);
        if (filesystem is null)
        {
            Unresolved++;
            return null;
        }
        using var handle = filesystem.OpenByHandle(directory.FileHandle, FileHandles.OpenPath | FileHandles.OpenDirectory, out var errno);
        var path = handle is null ? null : FileHandles.PathOf(handle, out errno);
        if (handle is null || path is null)
        {
            Unresolved++;
            FileSensorLog.Unresolved(_context.Logger, filesystem.MountPoint, Errno.Describe(errno));
            return null;
        }
        // A removed directory (rm -r reports its entries before it) reads as "/path (deleted)".
        if (path.EndsWith(DeletedSuffix, StringComparison.Ordinal) && Libc.Stat(handle, out _) is { LinkCount: 0 })
        {
            path = path[..^DeletedSuffix.Length];
        }
        // Through a bind mount of a subtree, directories outside it have no path in this namespace.
        if (!path.StartsWith('/') || (filesystem.MountRoot != "/" && !PathFilter.IsUnder(path, filesystem.MountPoint)))
        {
            Unresolved++;
            return null;
        }
        _directories.Add(directory.Key, path);
        return path;
    }

    private ProcessInfo? ProcessOf(int pid)
    {
        if (pid <= 0)
        {
            return null;
        }
        if (_processes.TryGetValue(pid, out var known))
        {
            return known;
        }
        ProcessInfo? info;
        try
        {
            info = _context.Processes.Get(pid);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            info = null;
        }
        _processes[pid] = info;
        return info;
    }

    private void OnMalformed(string? error, string loss)
    {
        Malformed++;
        _context.Health.ReportLoss(1, loss);
        // Logged on the 1st, 2nd, 4th, 8th… occurrence: visible, but never a flood.
        if (ulong.IsPow2((ulong)Malformed))
        {
            FileSensorLog.MalformedRecord(_context.Logger, Malformed, error ?? "unknown");
        }
    }

    // FID mode reports no descriptors, and pidfds are not requested; but one that arrives must not leak.
    private static void CloseDescriptors(in FanotifyEvent e)
    {
        if (e.Fd >= 0)
        {
            new Microsoft.Win32.SafeHandles.SafeFileHandle(e.Fd, ownsHandle: true).Dispose();
        }
        if (e.PidFd >= 0)
        {
            new Microsoft.Win32.SafeHandles.SafeFileHandle(e.PidFd, ownsHandle: true).Dispose();
        }
    }
}
