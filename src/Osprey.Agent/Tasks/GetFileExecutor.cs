using Osprey.Agent.Interop;
using Osprey.Agent.Quarantine;
using Osprey.Agent.Sensors.Hashing;
using Osprey.Agent.Uplink;
using Osprey.Contracts.V1;

namespace Osprey.Agent.Tasks;

/// <summary>
/// "get-file": uploads a regular file into the node's Storage and reports its hashes, metadata and Storage key; with a
/// quarantine ID, uploads that entry's decrypted content instead (a pull from quarantine). Symbolic links, directories
/// and special files are refused, as is a file over the size limit.
/// </summary>
internal sealed class GetFileExecutor : ITaskExecutor
{
    /// <summary>Largest file sent when the task gives no limit (the node's default object limit).</summary>
    public const long DefaultMaxBytes = 1L << 30;

    /// <summary>Storage kind of a pulled quarantine entry.</summary>
    public const string QuarantineKind = "quarantine";

    public string Type => "get-file";

    public async Task ExecuteAsync(TaskRun run, CancellationToken cancellationToken)
    {
        var p = run.Definition.GetFile ?? throw new TaskFailedException(Errno.EINVAL, "the task has no get-file parameters");
        if (p.MaxSize < 0)
        {
            throw new TaskFailedException(Errno.EINVAL, "max_size cannot be negative");
        }
        var limit = p.MaxSize > 0 ? p.MaxSize : DefaultMaxBytes;
        var result = p.QuarantineId.Length > 0
            ? await PullAsync(run, p.QuarantineId, limit, cancellationToken).ConfigureAwait(false)
            : await GetAsync(run, p.File ?? new FileSelector(), limit, cancellationToken).ConfigureAwait(false);
        run.Report.GetFile = result;
    }

    private static async Task<GetFileResult> GetAsync(TaskRun run, FileSelector selector, long limit, CancellationToken cancellationToken)
    {
        var path = selector.Path;
        if (TaskPaths.Problem(path) is { } problem)
        {
            throw new TaskFailedException(Errno.EINVAL, problem);
        }
        var linkStatus = Libc.Stat(path, followLinks: false, out var errno)
            ?? throw new TaskFailedException(errno, errno == Errno.ENOENT ? $"{path}: no such file" : $"{path}: stat failed: {Errno.Describe(errno)}");
        Refuse(path, linkStatus, limit);
        using var handle = FileHandles.Open(path, FileHandles.OpenReadOnly | FileHandles.OpenNoFollow | FileHandles.OpenNonBlocking | FileHandles.OpenNoAccessTime, out errno)
            ?? throw new TaskFailedException(errno, $"{path}: cannot open it: {Errno.Describe(errno)}");
        var status = Libc.Stat(handle, out errno) ?? throw new TaskFailedException(errno, $"{path}: fstat failed: {Errno.Describe(errno)}");
        Refuse(path, status, limit);

        var (md5, sha256) = FileHasher.Compute(handle);
        if ((selector.Md5.Length > 0 && !selector.Md5.Equals(md5, StringComparison.OrdinalIgnoreCase))
            || (selector.Sha256.Length > 0 && !selector.Sha256.Equals(sha256, StringComparison.OrdinalIgnoreCase)))
        {
            throw new TaskFailedException(QuarantineException.HashMismatch, $"{path}: the file's contents do not have the hash given; not collected");
        }
        var name = TaskPaths.StorageName(path);
        var stream = new FileStream(handle, FileAccess.Read, bufferSize: 0);
        string stored;
        await using (stream.ConfigureAwait(false))
        {
            stored = await UploadAsync(run, stream, name, "file", cancellationToken).ConfigureAwait(false);
        }
        if (!stored.Equals(sha256, StringComparison.Ordinal))
        {
            throw new TaskFailedException(QuarantineException.Changed, $"{path}: the file changed while it was collected (run the task again); Storage holds {stored}");
        }
        var file = new FileRef
        {
            Path = path, Name = Path.GetFileName(path), Md5 = md5, Sha256 = sha256, Size = status.Size,
            CreatedUs = status.BirthUs, ModifiedUs = status.ModifyUs, AccessedUs = status.AccessUs,
        };
        return new GetFileResult
        {
            File = file,
            Stored = new StoredFileRef { StorageId = stored, FileName = name, Size = status.Size, Sha256 = sha256, Md5 = md5 },
            Metadata = run.Services.ProcessFacts.MetadataOf(status, path),
        };
    }

    private static async Task<GetFileResult> PullAsync(TaskRun run, string quarantineId, long limit, CancellationToken cancellationToken)
    {
        try
        {
            using var entryFile = run.Services.Quarantine.Open(quarantineId);
            var entry = entryFile.Entry;
            if (entry.Size > limit)
            {
                throw new TaskFailedException(27, $"quarantine entry {quarantineId} is {entry.Size} bytes, more than the limit of {limit}"); // EFBIG
            }
            var name = TaskPaths.StorageName(entry.OriginalPath);
            string stored;
            var content = entryFile.OpenContent();
            await using (content.ConfigureAwait(false))
            {
                stored = await UploadAsync(run, content, name, QuarantineKind, cancellationToken).ConfigureAwait(false);
            }
            return new GetFileResult
            {
                File = new FileRef
                {
                    Path = entry.OriginalPath, Name = Path.GetFileName(entry.OriginalPath), Md5 = entry.Md5, Sha256 = entry.Sha256, Size = entry.Size,
                    CreatedUs = entry.CreatedUs, ModifiedUs = entry.ModifiedUs, AccessedUs = entry.AccessedUs,
                },
                Stored = new StoredFileRef { StorageId = stored, FileName = name, Size = entry.Size, Sha256 = stored, Md5 = entry.Md5 },
                Metadata = entry.Metadata,
            };
        }
        catch (QuarantineException e)
        {
            throw new TaskFailedException(e.Code, $"quarantine entry {quarantineId}: {e.Message}", e);
        }
    }

    /// <summary>Uploads into Storage; a node that refuses the object fails the task with the node's reason.</summary>
    private static async Task<string> UploadAsync(TaskRun run, Stream content, string name, string kind, CancellationToken cancellationToken)
    {
        try
        {
            return await run.Services.Uploader.UploadAsync(content, name, run.Definition.TaskId, kind, cancellationToken).ConfigureAwait(false);
        }
        catch (NodeRefusedException e)
        {
            var code = e.Status switch
            {
                System.Net.HttpStatusCode.RequestEntityTooLarge => 27, // EFBIG
                System.Net.HttpStatusCode.InsufficientStorage => Errno.ENOSPC,
                _ => 5, // EIO
            };
            throw new TaskFailedException(code, $"the node refused the file: {e.Message}", e);
        }
        catch (NodeUnavailableException e)
        {
            throw new TaskFailedException(107, $"the file could not be sent to the node: {e.Message}", e); // ENOTCONN
        }
    }

    private static void Refuse(string path, FileStatus status, long limit)
    {
        if (status.IsSymbolicLink)
        {
            var target = new FileInfo(path).LinkTarget;
            throw new TaskFailedException(40, $"{path} is a symbolic link to {target}; ask for the file it points to"); // ELOOP
        }
        if (status.IsDirectory)
        {
            throw new TaskFailedException(21, $"{path} is a directory; get-file collects files"); // EISDIR
        }
        if (!status.IsRegularFile)
        {
            throw new TaskFailedException(Errno.EINVAL, $"{path} is a {status.FileType}, not a regular file");
        }
        if (status.Size > limit)
        {
            throw new TaskFailedException(27, $"{path} is {status.Size} bytes, more than the limit of {limit} bytes"); // EFBIG
        }
    }
}
