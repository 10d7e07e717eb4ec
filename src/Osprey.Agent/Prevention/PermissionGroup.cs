using System.Text;
using Microsoft.Win32.SafeHandles;
using Osprey.Agent.Interop;
using Osprey.Agent.Sensors.HostState;

namespace Osprey.Agent.Prevention;

/// <summary>
/// The fanotify group of prevention (content class: it answers permission events) and its mount marks. The mask on
/// the marks follows the rule set: open-exec permission when executables or scripts are covered, open permission
/// when scripts or documents are; nothing is marked while there are no rules.
/// </summary>
internal sealed class PermissionGroup : IDisposable
{
    /// <summary>Filesystem types whose files can be run or opened from local storage.</summary>
    private static readonly HashSet<string> LocalTypes =
    [
        "ext2", "ext3", "ext4", "xfs", "btrfs", "tmpfs", "ramfs", "overlay", "f2fs", "vfat", "exfat", "ntfs", "ntfs3", "zfs",
        "squashfs", "fuseblk", "reiserfs", "jfs", "nilfs2", "hfsplus", "iso9660", "udf", "virtiofs", "erofs",
    ];

    private readonly PreventionOptions _options;
    private readonly Dictionary<int, string> _marked = [];
    private readonly Lock _lock = new();
    private ulong _mask;

    private PermissionGroup(SafeFileHandle handle, PreventionOptions options)
    {
        Handle = handle;
        _options = options;
    }

    public SafeFileHandle Handle { get; }

    /// <summary>The event mask now on the marks (0: nothing marked).</summary>
    public ulong Mask => _mask;

    /// <summary>Mount points marked now.</summary>
    public IReadOnlyCollection<string> MountPoints
    {
        get
        {
            lock (_lock)
            {
                return [.. _marked.Values];
            }
        }
    }

    /// <summary>The group; null with the reason this host cannot have one.</summary>
    public static PermissionGroup? Create(PreventionOptions options, out string? unsupported)
    {
        var handle = Fanotify.Init(
            Fanotify.ClassContent | Fanotify.CloseOnExec | Fanotify.NonBlocking,
            Fanotify.OpenReadOnly | Fanotify.OpenLargeFile | 0x80000 /* O_CLOEXEC */,
            out var errno);
        unsupported = errno switch
        {
            0 => null,
            Errno.EPERM => "fanotify permission events need CAP_SYS_ADMIN: run the agent as root",
            Errno.EINVAL => "this kernel's fanotify does not support permission events (CONFIG_FANOTIFY_ACCESS_PERMISSIONS)",
            Errno.ENOSYS => "this kernel is built without fanotify",
            _ => $"fanotify_init failed: {Errno.Describe(errno)}",
        };
        return handle is null ? null : new PermissionGroup(handle, options);
    }

    /// <summary>
    /// Puts <paramref name="mask"/> on every mount in scope (adding mounts that appeared, dropping the mask from
    /// those that left scope when it changes). Returns the mounts that could not be marked, with the reason.
    /// </summary>
    public List<string> Apply(ulong mask)
    {
        lock (_lock)
        {
            var problems = new List<string>();
            var wanted = mask == 0 ? [] : MountsInScope();
            foreach (var (id, point) in _marked.ToList())
            {
                if (!wanted.ContainsKey(id))
                {
                    // Out of scope or unmounted (then the mark is gone with the mount, and this fails harmlessly).
                    MarkMount(Fanotify.MarkRemove, _mask, point, out _);
                    _marked.Remove(id);
                }
                else if (mask != _mask)
                {
                    // New bits first, then the old ones dropped: no moment without interception.
                    if ((mask & ~_mask) != 0 && !MarkMount(Fanotify.MarkAdd, mask & ~_mask, point, out var errno))
                    {
                        problems.Add($"{point}: {Errno.Describe(errno)}");
                    }
                    if ((_mask & ~mask) != 0)
                    {
                        MarkMount(Fanotify.MarkRemove, _mask & ~mask, point, out _);
                    }
                }
            }
            foreach (var (id, point) in wanted)
            {
                if (_marked.ContainsKey(id))
                {
                    continue;
                }
                if (MarkMount(Fanotify.MarkAdd, mask, point, out var errno))
                {
                    _marked[id] = point;
                }
                else
                {
                    problems.Add($"{point}: {Errno.Describe(errno)}");
                }
            }
            _mask = mask;
            return problems;
        }
    }

    /// <summary>Forgets every ignore mark (after the rules changed, every file is asked about again).</summary>
    public void FlushIgnoreMarks() => Fanotify.Mark(Handle, Fanotify.MarkFlush, 0, Fanotify.NoFd, out _);

    /// <summary>Tells the kernel to stop asking about this file for <paramref name="mask"/> until it is modified.</summary>
    public bool Ignore(int eventFd, ulong mask) => Fanotify.Mark(Handle, Fanotify.MarkAdd | Fanotify.MarkIgnoredMask, mask, eventFd, out _);

    /// <summary>Asks about this file again (an ignore mark set from rules that were replaced meanwhile).</summary>
    public void Unignore(int eventFd, ulong mask) => Fanotify.Mark(Handle, Fanotify.MarkRemove | Fanotify.MarkIgnoredMask, mask, eventFd, out _);

    public void Dispose() => Handle.Dispose();

    private bool MarkMount(uint flags, ulong mask, string mountPoint, out int errno)
    {
        // Opening the directory itself raises no permission event: the marks do not ask for events on directories.
        using var directory = FileHandles.Open(mountPoint, FileHandles.OpenReadOnly | FileHandles.OpenDirectory | FileHandles.OpenNonBlocking, out errno);
        return directory is not null && Fanotify.Mark(Handle, flags | Fanotify.MarkMount, mask, directory, out errno);
    }

    /// <summary>Local mounts at or beneath a configured path and not at or beneath an excluded one, by mount ID.</summary>
    private Dictionary<int, string> MountsInScope()
    {
        var table = MountInfo.ParseTable(Encoding.UTF8.GetBytes(File.ReadAllText("/proc/self/mountinfo")));
        var result = new Dictionary<int, string>();
        foreach (var mount in table.Values)
        {
            if (LocalTypes.Contains(mount.FsType)
                && _options.Paths.Any(p => IsAtOrBeneath(mount.MountPoint, p))
                && !_options.ExcludedPaths.Any(p => IsAtOrBeneath(mount.MountPoint, p)))
            {
                result[mount.Id] = mount.MountPoint;
            }
        }
        return result;
    }

    public static bool IsAtOrBeneath(string path, string root)
    {
        root = root.Length > 1 ? root.TrimEnd('/') : root;
        return root == "/" || path == root || path.StartsWith(root + "/", StringComparison.Ordinal);
    }
}
