using Microsoft.Win32.SafeHandles;
using Osprey.Agent.Forensics;
using Osprey.Agent.Uplink;
using Osprey.Contracts.V1;

namespace Osprey.Agent.Tasks;

/// <summary>Puts what a task collected (a file, a dump, an image) into the node's Storage and describes it for the report.</summary>
internal static class StoredFiles
{
    /// <summary>
    /// Uploads the first <paramref name="length"/> bytes of <paramref name="source"/>; the result carries the Storage key
    /// (its SHA-256) and the MD5 of the same bytes. A source that changes between the uploader's passes fails the task.
    /// </summary>
    public static async Task<StoredFileRef> UploadAsync(
        TaskRun run, SafeFileHandle source, long length, string name, string kind, CancellationToken cancellationToken)
    {
        using var content = new HashingReadStream(source, length);
        string sha256;
        try
        {
            sha256 = await run.Services.Uploader.UploadAsync(content, name, run.Definition.TaskId, kind, cancellationToken).ConfigureAwait(false);
        }
        catch (NodeRefusedException e)
        {
            throw new TaskFailedException(StorageRefused, $"the node did not store {name} ({length} bytes): {e.Detail}", e);
        }
        catch (IOException e)
        {
            throw new TaskFailedException(5, $"{name} could not be read: {e.Message}", e);
        }
        if (content.Completed is not { } hashes || !string.Equals(hashes.Sha256, sha256, StringComparison.Ordinal))
        {
            throw new TaskFailedException(5, $"{name} changed while it was uploaded; the node holds {sha256}, which is not what was last read");
        }
        return new StoredFileRef { StorageId = sha256, FileName = name, Size = length, Sha256 = sha256, Md5 = hashes.Md5 };
    }

    /// <summary>Return code when the node refuses an object (too large for it, Storage full): Osprey's own, above errno.</summary>
    public const int StorageRefused = 1001;
}
