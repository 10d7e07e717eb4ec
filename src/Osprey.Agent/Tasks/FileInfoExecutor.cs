using System.Globalization;
using Osprey.Agent.Forensics;
using Osprey.Agent.Interop;
using Osprey.Agent.Sensors.Files;
using Osprey.Agent.Sensors.Processes;
using Osprey.Contracts.V1;

namespace Osprey.Agent.Tasks;

/// <summary>
/// "file-info": a file named by its ID ("dev:inode" as events carry it) and/or by path: every path found for it (its
/// hard links, by a bounded walk of the file system of that device; failing that, a process that holds it open, which
/// finds deleted files), size, times, MD5 / SHA-256, type, owner, permissions and flags, and its contents into
/// Storage when asked.
/// </summary>
internal sealed class FileInfoExecutor : ITaskExecutor
{
    private const uint DefaultMaxSearchEntries = 2_000_000;

    public string Type => "file-info";

    public async Task ExecuteAsync(TaskRun run, CancellationToken cancellationToken)
    {
        var p = run.Definition.FileInfo ?? throw new TaskFailedException(22, "the task has no file-info parameters");
        if (p.FileId.Length == 0 && p.Path.Length == 0)
        {
            throw new TaskFailedException(22, "name the file by its ID (dev:inode) or its path");
        }
        (ulong Device, ulong Inode)? id = null;
        if (p.FileId.Length > 0)
        {
            id = ParseFileId(p.FileId) ?? throw new TaskFailedException(22, $"'{p.FileId}' is not a file ID; IDs are \"dev:inode\" in decimal, as stat -c %d:%i prints them");
        }
        var result = new FileInfoResult();
        string readPath;
        if (p.Path.Length > 0)
        {
            if (!Path.IsPathFullyQualified(p.Path))
            {
                throw new TaskFailedException(22, $"the path must be absolute, not '{p.Path}'");
            }
            var status = Libc.Stat(p.Path, followLinks: true, out var errno)
                ?? throw new TaskFailedException(errno, $"{p.Path} cannot be read ({Errno.Describe(errno)})");
            if (id is { } named && (status.Device != named.Device || status.Inode != named.Inode))
            {
                throw new TaskFailedException(22, $"{p.Path} is the file {ProcessEventFactory.FileIdOf(status.Device, status.Inode)}, not {p.FileId}");
            }
            id = (status.Device, status.Inode);
            readPath = p.Path;
            result.Paths.Add(p.Path);
        }
        else
        {
            var (device, inode) = id!.Value;
            var mounts = MountEntry.ParseAll(File.ReadAllText("/proc/self/mountinfo"));
            var found = InodeSearch.Find(device, inode, mounts, p.MaxSearchEntries > 0 ? p.MaxSearchEntries : DefaultMaxSearchEntries, cancellationToken);
            result.Paths.AddRange(found.Paths);
            result.SearchedEntries = (ulong)found.EntriesRead;
            result.SearchTruncated = found.Truncated;
            if (found.Paths.Count > 0)
            {
                readPath = found.Paths[0];
            }
            else if (InodeSearch.FindOpen(device, inode, p.MaxSearchEntries > 0 ? p.MaxSearchEntries : DefaultMaxSearchEntries, cancellationToken) is { } open)
            {
                readPath = result.OpenIn = open;
            }
            else
            {
                var where = mounts.Any(m => m.Major == (uint)(device >> 32) && m.Minor == (uint)device)
                    ? found.Truncated ? $"not among the first {found.EntriesRead} entries of its file system" : "no path on its file system and no process holds it open"
                    : "no mounted file system has its device";
                throw new TaskFailedException(2, $"the file {p.FileId} was not found: {where}");
            }
        }
        var current = Libc.Stat(readPath, followLinks: true, out var statErrno)
            ?? throw new TaskFailedException(statErrno, $"{readPath} cannot be read ({Errno.Describe(statErrno)})");
        if (current.Device != id.Value.Device || current.Inode != id.Value.Inode)
        {
            throw new TaskFailedException(16, $"{readPath} was replaced by another file while the task ran");
        }
        var display = result.OpenIn.Length > 0 ? ProcFs.ReadLink(readPath) ?? readPath : readPath;
        result.FileId = ProcessEventFactory.FileIdOf(current.Device, current.Inode);
        result.File = new FileRef
        {
            Path = display,
            Name = Path.GetFileName(display),
            Size = current.Size,
            CreatedUs = current.BirthUs,
            ModifiedUs = current.ModifyUs,
            AccessedUs = current.AccessUs,
        };
        result.Metadata = run.Services.ProcessFacts.MetadataOf(current, readPath);
        if (current.IsRegularFile && run.Services.Hasher.TryHash(readPath) is { } hashes)
        {
            (result.File.Md5, result.File.Sha256) = (hashes.Md5, hashes.Sha256);
        }
        run.Report.FileInfo = result;
        if (p.Contents)
        {
            if (!current.IsRegularFile)
            {
                throw new TaskFailedException(22, $"{display} is a {current.FileType}; only a regular file's contents can be stored");
            }
            using var handle = DiskImageExecutor.OpenReadOnly(readPath);
            if (Libc.Stat(handle, out _) is not { } opened || opened.Device != current.Device || opened.Inode != current.Inode)
            {
                throw new TaskFailedException(16, $"{readPath} was replaced by another file while the task ran");
            }
            result.Contents = await StoredFiles.UploadAsync(run, handle, opened.Size, result.File.Name, "file", cancellationToken).ConfigureAwait(false);
            (result.File.Md5, result.File.Sha256) = (result.Contents.Md5, result.Contents.Sha256);
        }
    }

    /// <summary>"dev:inode" with dev as stat(2)'s st_dev (glibc's encoding) into the agent's device (major high, minor low) and inode.</summary>
    internal static (ulong Device, ulong Inode)? ParseFileId(string fileId)
    {
        var colon = fileId.IndexOf(':', StringComparison.Ordinal);
        if (colon <= 0
            || !ulong.TryParse(fileId.AsSpan(0, colon), NumberStyles.None, CultureInfo.InvariantCulture, out var dev)
            || !ulong.TryParse(fileId.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var inode))
        {
            return null;
        }
        var major = ((dev >> 8) & 0xfff) | ((dev >> 32) & 0xffff_f000);
        var minor = (dev & 0xff) | ((dev >> 12) & 0xffff_ff00);
        return ((major << 32) | minor, inode);
    }
}
