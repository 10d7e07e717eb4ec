using Osprey.Agent.Interop;

namespace Osprey.Agent.Prevention;

/// <summary>
/// Whether only root can give a file another path: then an ignore mark on its inode is safe even where path rules
/// reach, because the path it was allowed at is the only one it can be run from (root can stop the agent anyway, so
/// root is outside what prevention defends against). The conditions are in docs/prevention.md.
/// </summary>
internal static class FixedPath
{
    private const uint GroupOrOtherWritable = 0x12; // 0022
    private const uint Sticky = 0x200; // 01000

    /// <summary>
    /// The file's own part, from its status alone (no system call): one link, owned by root, writable by no group or
    /// other (with POSIX ACLs the group bits are the ACL mask, so any write grant shows there). With hard links
    /// protected, nobody else can then link it elsewhere.
    /// </summary>
    public static bool FileQualifies(FileStatus file) =>
        file.IsRegularFile && file.LinkCount == 1 && file.Uid == 0 && (file.Mode & GroupOrOtherWritable) == 0;

    /// <summary>
    /// True when <paramref name="path"/> (absolute, without symbolic links: the kernel's own name for the event's
    /// file) names <paramref name="file"/>, which <see cref="FileQualifies"/>, and every directory up to "/" is owned
    /// by root and either writable by no group or other, or sticky (then only an entry's owner, the directory's owner
    /// or root may rename or remove it, and the entry on the path is root's).
    /// </summary>
    public static bool IsFixed(string path, FileStatus file)
    {
        if (!FileQualifies(file) || path.Length < 2 || path[0] != '/' || path[^1] == '/')
        {
            return false;
        }
        var entryUid = file.Uid;
        var end = path.Length;
        while (end > 0)
        {
            var slash = path.LastIndexOf('/', end - 1);
            var directory = slash == 0 ? "/" : path[..slash];
            if (!Libc.TryStatOwner(directory, out var owner, out _) || !owner.IsDirectory || owner.Uid != 0)
            {
                return false;
            }
            if ((owner.Mode & GroupOrOtherWritable) != 0 && ((owner.Mode & Sticky) == 0 || entryUid != 0))
            {
                return false;
            }
            entryUid = owner.Uid;
            end = slash;
        }
        // Each directory seen was locked when seen, and only root can unlock one, so the path resolves through the
        // same directories now; that it still names this file shows it was not moved while the walk went up.
        return Libc.TryStatOwner(path, out var named, out _) && named.Device == file.Device && named.Inode == file.Inode && named.LinkCount == 1;
    }
}
