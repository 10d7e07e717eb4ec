using System.Text;
using Osprey.Agent.Interop;
using Osprey.Agent.Sensors.Files;

namespace Osprey.Agent.Forensics;

/// <summary>What a search for a file ID found: its paths (hard links), the entries it read, whether it stopped at its bound.</summary>
internal sealed record InodeSearchResult(IReadOnlyList<string> Paths, long EntriesRead, bool Truncated);

/// <summary>
/// Finds the paths of a file named by device and inode: walks the file system of that device from where it is mounted
/// (one mount per device subtree, never into other mounts), reading directory entries without a stat each (the inode
/// number is in the entry), stat-checking only candidates. Stops when it has found as many names as the file has hard
/// links, or after a bound of entries. The mounts are those of the agent's mount namespace.
/// </summary>
internal static class InodeSearch
{
    public static InodeSearchResult Find(ulong device, ulong inode, IReadOnlyList<MountEntry> mounts, long maxEntries, CancellationToken cancellationToken)
    {
        var major = (uint)(device >> 32);
        var minor = (uint)device;
        var ofDevice = mounts.Where(m => m.Major == major && m.Minor == minor).OrderBy(m => m.Root.Length).ThenBy(m => m.MountPoint.Length).ToList();
        // A subtree of the file system that another chosen mount already shows is walked once.
        var roots = new List<MountEntry>();
        foreach (var mount in ofDevice)
        {
            if (!roots.Any(r => r.Root == "/" || mount.Root == r.Root || mount.Root.StartsWith(r.Root + "/", StringComparison.Ordinal)))
            {
                roots.Add(mount);
            }
        }
        var otherMounts = mounts.Where(m => m.Major != major || m.Minor != minor).Select(m => m.MountPoint).ToHashSet(StringComparer.Ordinal);
        var paths = new List<string>();
        long read = 0;
        var links = uint.MaxValue;
        foreach (var root in roots)
        {
            var pending = new Stack<byte[]>();
            pending.Push(Encoding.UTF8.GetBytes(root.MountPoint == "/" ? "" : root.MountPoint));
            while (pending.Count > 0)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var directory = pending.Pop();
                using var stream = DirectoryStream.Open([.. (directory.Length == 0 ? "/"u8 : directory), 0], out _);
                if (stream is null)
                {
                    continue;
                }
                while (stream.TryRead(out var name, out var entryInode, out var type))
                {
                    if (name.SequenceEqual("."u8) || name.SequenceEqual(".."u8))
                    {
                        continue;
                    }
                    if (++read > maxEntries)
                    {
                        return new InodeSearchResult(paths, read - 1, Truncated: true);
                    }
                    if (entryInode == inode || type is DirectoryStream.TypeDirectory or DirectoryStream.TypeUnknown)
                    {
                        byte[] child = [.. directory, (byte)'/', .. name];
                        var path = Encoding.UTF8.GetString(child);
                        if (entryInode == inode && Libc.Stat(path, followLinks: false, out _) is { } status && status.Device == device && status.Inode == inode)
                        {
                            paths.Add(path);
                            links = status.LinkCount;
                            if (paths.Count >= links)
                            {
                                return new InodeSearchResult(paths, read, Truncated: false);
                            }
                        }
                        if ((type == DirectoryStream.TypeDirectory || (type == DirectoryStream.TypeUnknown && Libc.Stat(path, followLinks: false, out _) is { IsDirectory: true }))
                            && !otherMounts.Contains(path))
                        {
                            pending.Push(child);
                        }
                    }
                }
            }
        }
        return new InodeSearchResult(paths, read, Truncated: false);
    }

    /// <summary>
    /// A file some process holds open or runs with that has this device and inode (a deleted executable, a file outside
    /// the mounts walked): its /proc path, or null. Reads at most <paramref name="maxEntries"/> descriptors.
    /// </summary>
    public static string? FindOpen(ulong device, ulong inode, long maxEntries, CancellationToken cancellationToken)
    {
        long read = 0;
        foreach (var pid in Sensors.Processes.ProcFs.ListPids())
        {
            cancellationToken.ThrowIfCancellationRequested();
            var exe = $"/proc/{pid}/exe";
            if (Libc.Stat(exe, followLinks: true, out _) is { } status && status.Device == device && status.Inode == inode)
            {
                return exe;
            }
            var fds = $"/proc/{pid}/fd";
            using var stream = DirectoryStream.Open(Encoding.UTF8.GetBytes(fds + "\0"), out _);
            while (stream is not null && stream.TryRead(out var name))
            {
                if (name[0] == (byte)'.')
                {
                    continue;
                }
                if (++read > maxEntries)
                {
                    return null;
                }
                var fd = $"{fds}/{Encoding.ASCII.GetString(name)}";
                if (Libc.Stat(fd, followLinks: true, out _) is { } open && open.Device == device && open.Inode == inode)
                {
                    return fd;
                }
            }
        }
        return null;
    }
}
