using Osprey.Agent.Interop;
using Osprey.Contracts.V1;

namespace Osprey.Agent.Tasks;

/// <summary>"dir-list": the entries of a directory (recursively to a depth), each with what stat, getfacl and the hashes say; never follows symbolic links.</summary>
internal sealed class DirListExecutor : ITaskExecutor
{
    private const uint DefaultMaxEntries = 100_000;

    public string Type => "dir-list";

    public Task ExecuteAsync(TaskRun run, CancellationToken cancellationToken)
    {
        var p = run.Definition.DirList ?? throw new TaskFailedException(22, "the task has no dir-list parameters");
        if (!Path.IsPathFullyQualified(p.Path))
        {
            throw new TaskFailedException(22, $"the path must be absolute, not '{p.Path}'");
        }
        var root = Libc.Stat(p.Path, followLinks: true, out var errno);
        if (root is null)
        {
            throw new TaskFailedException(errno, $"{p.Path} cannot be read (errno {errno})");
        }
        if (!root.IsDirectory)
        {
            throw new TaskFailedException(20, $"{p.Path} is not a directory");
        }
        var result = new DirListResult();
        run.Report.DirList = result;
        var maxEntries = p.MaxEntries == 0 ? DefaultMaxEntries : p.MaxEntries;
        var maxDepth = p.Recursive ? (p.MaxDepth == 0 ? uint.MaxValue : p.MaxDepth) : 1;
        var pending = new Stack<(string Path, uint Depth)>();
        pending.Push((p.Path, 1));
        while (pending.Count > 0)
        {
            var (directory, depth) = pending.Pop();
            IEnumerable<string> names;
            try
            {
                names = Directory.EnumerateFileSystemEntries(directory).Order(StringComparer.Ordinal).ToList();
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                result.Errors.Add(new ObjectError { ObjectName = directory, Code = e.HResult & 0xFFFF, Message = e.Message });
                continue;
            }
            var subdirectories = new List<string>();
            foreach (var path in names)
            {
                cancellationToken.ThrowIfCancellationRequested();
                if (result.Entries.Count >= maxEntries)
                {
                    result.Truncated = true;
                    return Task.CompletedTask;
                }
                var status = Libc.Stat(path, followLinks: false, out errno);
                if (status is null)
                {
                    result.Errors.Add(new ObjectError { ObjectName = path, Code = errno, Message = $"stat failed (errno {errno})" });
                    continue;
                }
                result.Entries.Add(Entry(run, path, status, p.Hashes));
                if (status.IsDirectory && depth < maxDepth)
                {
                    subdirectories.Add(path);
                }
            }
            for (var i = subdirectories.Count - 1; i >= 0; i--)
            {
                pending.Push((subdirectories[i], depth + 1));
            }
        }
        return Task.CompletedTask;
    }

    internal static DirEntry Entry(TaskRun run, string path, FileStatus status, bool hashes)
    {
        var file = new FileRef
        {
            Path = path,
            Name = Path.GetFileName(path),
            Size = status.Size,
            CreatedUs = status.BirthUs,
            ModifiedUs = status.ModifyUs,
            AccessedUs = status.AccessUs,
        };
        if (hashes && status.IsRegularFile && run.Services.Hasher.TryHash(path) is { } h)
        {
            (file.Md5, file.Sha256) = (h.Md5, h.Sha256);
        }
        return new DirEntry { File = file, Metadata = run.Services.ProcessFacts.MetadataOf(status, path) };
    }
}
