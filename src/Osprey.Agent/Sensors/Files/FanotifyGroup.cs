using Microsoft.Extensions.Logging;
using Microsoft.Win32.SafeHandles;
using Osprey.Agent.Interop;

namespace Osprey.Agent.Sensors.Files;

/// <summary>
/// The sensor's fanotify notification group in FID mode (directory handle and entry name, plus the handle of the
/// object itself, also for creates, deletes and renames) and the filesystems marked on it.
/// </summary>
internal sealed class FanotifyGroup : IDisposable
{
    /// <summary>What a filesystem mark asks for. Permission events are never requested here.</summary>
    public const ulong FilesystemMask = Fanotify.Create | Fanotify.Delete | Fanotify.Rename | Fanotify.CloseWrite | Fanotify.OnDirectory;

    /// <summary>Mount marks cannot carry directory-entry events: only writes.</summary>
    public const ulong MountMask = Fanotify.CloseWrite;

    public const uint InitFlags = Fanotify.ClassNotification | Fanotify.CloseOnExec | Fanotify.NonBlocking
        | Fanotify.ReportDirectoryFidAndName | Fanotify.ReportFid | Fanotify.ReportTargetFid;

    private readonly Dictionary<ulong, WatchedFilesystem> _byFsid = [];

    // Filesystems that could not be marked: not retried (nor logged again) on every mount-table change.
    private readonly HashSet<(uint, uint)> _refused = [];

    private FanotifyGroup(SafeFileHandle handle)
    {
        Handle = handle;
    }

    public SafeFileHandle Handle { get; }

    public IReadOnlyCollection<WatchedFilesystem> Filesystems => _byFsid.Values;

    /// <summary>Creates the group; null with the reason the host cannot support it.</summary>
    public static FanotifyGroup? Create(out string? unsupported)
    {
        var handle = Fanotify.Init(InitFlags, Fanotify.OpenReadOnly | Fanotify.OpenLargeFile, out var errno);
        unsupported = errno switch
        {
            0 => null,
            Errno.EPERM => "fanotify needs CAP_SYS_ADMIN: run the agent as root",
            Errno.EINVAL => "this kernel's fanotify lacks FAN_REPORT_TARGET_FID and FAN_RENAME (Linux 5.17 or later is needed)",
            Errno.ENOSYS => "this kernel is built without fanotify",
            Errno.EMFILE => "the fanotify group limit (fs.fanotify.max_user_groups) is reached",
            _ => $"fanotify_init failed: {Errno.Describe(errno)}",
        };
        return handle is null ? null : new FanotifyGroup(handle);
    }

    public WatchedFilesystem? Find(ulong fsid) => _byFsid.GetValueOrDefault(fsid);

    /// <summary>
    /// Brings the marks in line with the plan: marks the filesystems not marked yet and forgets those no longer in it
    /// (an unmounted filesystem's mark goes with it). Returns why some filesystems could not be marked.
    /// </summary>
    public List<string> Apply(WatchPlan plan, ILogger logger)
    {
        var problems = new List<string>();
        var planned = plan.Filesystems.ToDictionary(f => f.Device);
        foreach (var (fsid, filesystem) in _byFsid.ToList())
        {
            if (!planned.TryGetValue(filesystem.Device, out var candidate))
            {
                _byFsid.Remove(fsid);
            }
            else if (!candidate.Mounts.Any(m => m.MountPoint == filesystem.MountPoint))
            {
                // Still marked, but reachable only through another mount point now (mount --move, or the old one was unmounted).
                _byFsid.Remove(fsid);
                foreach (var mount in candidate.Mounts)
                {
                    var moved = new WatchedFilesystem(fsid, mount, filesystem.DirectoryEvents);
                    using var open = moved.OpenMount(out _);
                    if (open is not null)
                    {
                        _byFsid[fsid] = moved;
                        break;
                    }
                }
            }
        }
        _refused.IntersectWith(planned.Keys);
        var marked = new HashSet<(uint, uint)>(_byFsid.Values.Select(f => f.Device));
        foreach (var candidate in plan.Filesystems.Where(f => !marked.Contains(f.Device) && !_refused.Contains(f.Device)))
        {
            if (Mark(candidate, logger) is { } problem)
            {
                _refused.Add(candidate.Device);
                problems.Add(problem);
                FileSensorLog.CannotWatch(logger, candidate.Mounts[0].MountPoint, candidate.FsType, problem);
            }
        }
        return problems;
    }

    private string? Mark(FilesystemCandidate candidate, ILogger logger)
    {
        string? problem = null;
        foreach (var mount in candidate.Mounts)
        {
            using var handle = FileHandles.Open(mount.MountPoint, FileHandles.OpenReadOnly | FileHandles.OpenDirectory | FileHandles.OpenNonBlocking, out var errno);
            if (handle is null)
            {
                problem = $"cannot open {mount.MountPoint}: {Errno.Describe(errno)}";
                continue;
            }
            // The mount point may be covered by a later mount: make sure the directory opened is this filesystem's.
            var status = Libc.Stat(handle, out errno);
            if (status is null || status.Device != ((ulong)candidate.Device.Major << 32 | candidate.Device.Minor))
            {
                problem = $"{mount.MountPoint} does not open onto device {candidate.Device.Major}:{candidate.Device.Minor}";
                continue;
            }
            var fsid = FileHandles.FilesystemId(handle, out errno);
            if (fsid is null || fsid == 0)
            {
                return fsid is null ? $"fstatfs failed: {Errno.Describe(errno)}" : "the filesystem has no fsid, which fanotify file IDs need";
            }
            if (_byFsid.TryGetValue(fsid.Value, out var clash))
            {
                return $"its fsid is the same as {clash.MountPoint}'s, so events could not be told apart";
            }
            if (Fanotify.Mark(Handle, Fanotify.MarkAdd | Fanotify.MarkFilesystem, FilesystemMask, handle, out errno))
            {
                _byFsid[fsid.Value] = new WatchedFilesystem(fsid.Value, mount, directoryEvents: true);
                return null;
            }
            var reason = errno switch
            {
                Errno.EXDEV => "a filesystem mark is refused here (for example a btrfs subvolume)",
                Errno.EOPNOTSUPP or Errno.ENODEV => "the filesystem cannot encode file handles",
                Errno.ENOSPC => "the fanotify mark limit (fs.fanotify.max_user_marks) is reached",
                _ => $"fanotify_mark failed: {Errno.Describe(errno)}",
            };
            // Where a filesystem mark is impossible a mount mark still sees writes through this mount.
            if (errno == Errno.EXDEV && Fanotify.Mark(Handle, Fanotify.MarkAdd | Fanotify.MarkMount, MountMask, handle, out _))
            {
                _byFsid[fsid.Value] = new WatchedFilesystem(fsid.Value, mount, directoryEvents: false);
                FileSensorLog.MountMarkOnly(logger, mount.MountPoint, reason);
                return null;
            }
            return reason;
        }
        return problem ?? "no mount of it could be opened";
    }

    public void Dispose()
    {
        _byFsid.Clear();
        Handle.Dispose();
    }
}
