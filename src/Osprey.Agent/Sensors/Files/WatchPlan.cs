using System.Collections.Frozen;

namespace Osprey.Agent.Sensors.Files;

/// <summary>A filesystem to mark: its device and the mounts through which it can be opened, the preferred one first.</summary>
internal sealed record FilesystemCandidate((uint Major, uint Minor) Device, string FsType, IReadOnlyList<MountEntry> Mounts);

/// <summary>
/// Which filesystems the configured paths need marked, from the mount table. A filesystem mark sees the whole
/// filesystem, so the plan is: the filesystem holding each configured path, plus every filesystem mounted below
/// one, except those mounted inside an excluded path or of a type not watched (see <see cref="WatchedTypes"/>).
/// </summary>
internal sealed record WatchPlan(IReadOnlyList<FilesystemCandidate> Filesystems, IReadOnlyList<(MountEntry Mount, string Reason)> Skipped)
{
    /// <summary>
    /// Local filesystems that hold files people and programs write. Everything else is skipped: kernel pseudo
    /// filesystems (proc, sysfs, devtmpfs, devpts, cgroup, cgroup2, tracefs, debugfs, securityfs, bpf, pstore,
    /// configfs, mqueue, hugetlbfs, autofs, binfmt_misc, efivarfs, fusectl, nsfs, rpc_pipefs, selinuxfs, ramfs),
    /// read-only images (squashfs, erofs, iso9660), overlay (its writes land on the upper filesystem, which is
    /// watched in its own right), and network and FUSE filesystems (nfs, cifs, ceph, 9p, virtiofs, fuse.*), where
    /// other hosts' changes are invisible and handle lookups can block on the network.
    /// </summary>
    public static readonly FrozenSet<string> WatchedTypes = FrozenSet.ToFrozenSet(
    [
        "ext2", "ext3", "ext4", "xfs", "btrfs", "bcachefs", "f2fs", "jfs", "reiserfs", "nilfs2", "zfs",
        "tmpfs", "vfat", "msdos", "exfat", "ntfs", "ntfs3", "hfsplus", "udf",
    ], StringComparer.Ordinal);

    public static WatchPlan For(IReadOnlyList<MountEntry> mounts, PathFilter filter)
    {
        // A later mount on the same mount point hides the earlier ones.
        var visible = mounts.GroupBy(m => m.MountPoint, StringComparer.Ordinal).Select(g => g.Last()).ToList();
        var chosen = new List<MountEntry>();
        var skipped = new List<(MountEntry, string)>();
        foreach (var mount in visible)
        {
            var needed = filter.Included.Any(path =>
                PathFilter.IsUnder(mount.MountPoint, path) || ReferenceEquals(Holding(visible, path), mount));
            if (!needed)
            {
                continue;
            }
            if (filter.IsExcluded(mount.MountPoint))
            {
                skipped.Add((mount, "mounted inside an excluded path"));
            }
            else if (!WatchedTypes.Contains(mount.FsType))
            {
                skipped.Add((mount, $"filesystem type {mount.FsType} is not watched"));
            }
            else
            {
                chosen.Add(mount);
            }
        }
        var filesystems = chosen
            .GroupBy(m => m.Device)
            .Select(g => new FilesystemCandidate(g.Key, g.First().FsType, [.. g.OrderBy(m => m.Root == "/" ? 0 : 1)]))
            .ToList();
        return new WatchPlan(filesystems, skipped);
    }

    /// <summary>The deepest mount whose mount point contains <paramref name="path"/>.</summary>
    private static MountEntry? Holding(List<MountEntry> visible, string path)
    {
        MountEntry? best = null;
        foreach (var mount in visible)
        {
            if (PathFilter.IsUnder(path, mount.MountPoint) && (best is null || mount.MountPoint.Length > best.MountPoint.Length))
            {
                best = mount;
            }
        }
        return best;
    }
}
