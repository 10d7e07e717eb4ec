using Osprey.Agent.Interop;
using Osprey.Contracts.V1;

namespace Osprey.Agent.Tasks;

/// <summary>
/// "delete-file": removes each named file; when the selector also gives a hash, only if the file's contents have it
/// (the file an operator saw). Directories are refused; a symbolic link is removed itself, never its target.
/// </summary>
internal sealed class DeleteFileExecutor : ITaskExecutor
{
    public string Type => "delete-file";

    public Task ExecuteAsync(TaskRun run, CancellationToken cancellationToken)
    {
        var p = run.Definition.DeleteFile ?? throw new TaskFailedException(22, "the task has no delete-file parameters");
        if (p.Objects.Count == 0)
        {
            throw new TaskFailedException(22, "name at least one file");
        }
        var result = new DeleteFileResult();
        run.Report.DeleteFile = result;
        foreach (var selector in p.Objects)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var outcome = new DeletedObject { Path = selector.Path };
            result.Objects.Add(outcome);
            var error = Delete(run, selector);
            if (error is not null)
            {
                outcome.Error = error;
                run.Report.Errors.Add(error);
            }
            else
            {
                outcome.Deleted = true;
            }
        }
        if (result.Objects.All(o => !o.Deleted))
        {
            run.Report.ReturnCode = result.Objects[0].Error.Code;
        }
        return Task.CompletedTask;
    }

    private static ObjectError? Delete(TaskRun run, FileSelector selector)
    {
        var path = selector.Path;
        if (!Path.IsPathFullyQualified(path))
        {
            return new ObjectError { ObjectName = path, Code = 22, Message = "the path must be absolute" };
        }
        var status = Libc.Stat(path, followLinks: false, out var errno);
        if (status is null)
        {
            return new ObjectError { ObjectName = path, Code = errno, Message = errno == 2 ? "no such file" : $"stat failed (errno {errno})" };
        }
        if (status.IsDirectory)
        {
            return new ObjectError { ObjectName = path, Code = 21, Message = "is a directory; delete-file removes files" };
        }
        if (selector.Md5.Length > 0 || selector.Sha256.Length > 0)
        {
            var hashes = status.IsRegularFile ? run.Services.Hasher.TryHash(path) : null;
            if (hashes is null)
            {
                return new ObjectError { ObjectName = path, Code = 5, Message = "the file could not be hashed to check it is the one named" };
            }
            if ((selector.Md5.Length > 0 && !selector.Md5.Equals(hashes.Md5, StringComparison.OrdinalIgnoreCase))
                || (selector.Sha256.Length > 0 && !selector.Sha256.Equals(hashes.Sha256, StringComparison.OrdinalIgnoreCase)))
            {
                return new ObjectError { ObjectName = path, Code = 1000, Message = "the file's contents do not have the hash given; not deleted" };
            }
        }
        try
        {
            File.Delete(path);
            return null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return new ObjectError { ObjectName = path, Code = 13, Message = e.Message };
        }
    }
}
