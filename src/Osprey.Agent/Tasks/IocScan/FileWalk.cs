using Osprey.Agent.Interop;

namespace Osprey.Agent.Tasks.IocScan;

/// <summary>
/// Walks directories for regular files within bounds: depth below each root, files in all. Symbolic links are not
/// followed, and a walk stays on the file system of its root (so /proc, /sys and network mounts below a root are left
/// out). Files reached from two roots are listed once.
/// </summary>
internal static class FileWalk
{
    public sealed record Outcome(List<(string Path, FileStatus Status)> Files, long Examined, bool Truncated);

    public static Outcome Run(IEnumerable<WalkRoot> roots, int maxFiles, Action<string, string> error, CancellationToken cancellationToken)
    {
        var files = new List<(string, FileStatus)>();
        var seen = new HashSet<(ulong, ulong)>();
        long examined = 0;
        var options = new EnumerationOptions { IgnoreInaccessible = false, RecurseSubdirectories = false, AttributesToSkip = 0, ReturnSpecialDirectories = false };
        foreach (var root in roots)
        {
            var top = Libc.Stat(root.Path, followLinks: true, out var errno);
            if (top is null)
            {
                if (errno != Errno.ENOENT)
                {
                    error(root.Path, Errno.Describe(errno));
                }
                continue;
            }
            if (!top.IsDirectory)
            {
                continue;
            }
            var stack = new Stack<(string Path, int Depth)>();
            stack.Push((root.Path, 0));
            seen.Add((top.Device, top.Inode));
            while (stack.TryPop(out var directory))
            {
                cancellationToken.ThrowIfCancellationRequested();
                IEnumerable<string> entries;
                try
                {
                    entries = Directory.EnumerateFileSystemEntries(directory.Path, "*", options).ToList();
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    error(directory.Path, e.Message);
                    continue;
                }
                foreach (var entry in entries)
                {
                    if (++examined > maxFiles)
                    {
                        return new Outcome(files, examined - 1, true);
                    }
                    var status = Libc.Stat(entry, followLinks: false, out _);
                    if (status is null || status.IsSymbolicLink)
                    {
                        continue;
                    }
                    if (status.IsDirectory)
                    {
                        if (directory.Depth < root.MaxDepth && status.Device == top.Device && seen.Add((status.Device, status.Inode)))
                        {
                            stack.Push((entry, directory.Depth + 1));
                        }
                    }
                    else if (status.IsRegularFile && seen.Add((status.Device, status.Inode)))
                    {
                        files.Add((entry, status));
                    }
                }
            }
        }
        return new Outcome(files, examined, false);
    }
}
